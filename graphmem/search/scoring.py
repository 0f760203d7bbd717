"""Every candidate a search found, scored and in order.

Each fact gets its `ranking.FactFeatures` (relation intent, whether it touches what the
question is about, personalized PageRank from the entry points, similarity to the query,
recency) and each episode its `ranking.EpisodeFeatures`, blended by `ranking.blend` into one
score in [0, 1], so an episode (a raw turn) is returned when it is the best evidence. Results
come best first (ties by type, then id). A derived fact is left out when a stored fact of the
same relation joins the same two entities (either way round), and so is an episode already
cited as a better-ranked fact's source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..resolve import name_key
from . import ranking
from .found import Candidate, Found
from .intent import ParsedQuery
from .shaping import episode_result


def rank(parsed: ParsedQuery, found: Found, include_episodes: bool) -> list[dict[str, Any]]:
    """The candidates of `found` as scored results, best first (see the module docstring);
    each carries its `_path` and `_features` for `shaping.shape`."""
    facts = _dedupe_symmetric(found.facts)
    edges = [(c.record["source_id"], c.record["target_id"]) for c in facts]
    edges += [(ep["id"], e) for ep in found.episodes for e in ep["entity_ids"]]
    proximity = ranking.normalized(ranking.personalized_pagerank(edges, found.seeds))
    times = [c.record["valid_from"] or c.record["recorded_at"] for c in facts]
    times += [ep["occurred_at"] for ep in found.episodes]
    newest = max((t for t in times if t), default=None)

    seeds = found.seeds.keys()

    def anchor(ids: Iterable[str]) -> float:
        ids = set(ids)
        if ids & found.focus:
            return 1.0
        return 0.5 if ids & seeds else 0.0

    out: list[dict[str, Any]] = []
    for c in facts:
        f = c.record
        ends = (f["source_id"], f["target_id"])
        features = ranking.FactFeatures(
            intent=parsed.intent.get(f["relationship"], 0.0),
            anchor=anchor(ends),
            proximity=(proximity.get(ends[0], 0.0) + proximity.get(ends[1], 0.0)) / 2,
            similarity=c.similarity,
            recency=ranking.recency(f["valid_from"] or f["recorded_at"], newest),
            feedback=f.get("feedback"),
        )
        out.append(
            {
                **f,
                "type": "fact",
                "score": ranking.blend(features),
                "_path": c.path or [],
                "_features": features,
            }
        )
    if include_episodes:
        focus_keys = {
            name_key(found.entry[e]["name"] or "") for e in found.focus if e in found.entry
        }
        for ep in found.episodes:
            speaker = name_key(ep["name"]) if ep.get("name") else None
            a = anchor(ep["entity_ids"])
            if speaker and speaker in focus_keys:
                a = max(a, 1.0)
            features_e = ranking.EpisodeFeatures(
                similarity=ep["similarity"],
                anchor=a,
                proximity=max((proximity.get(e, 0.0) for e in ep["entity_ids"]), default=0.0),
                recency=ranking.recency(ep["occurred_at"], newest),
            )
            out.append(
                {
                    **episode_result(ep),
                    "score": ranking.blend(features_e),
                    "_features": features_e,
                    "_path": [],
                }
            )
    out.sort(key=lambda r: (-r["score"], r["type"], str(r["id"])))
    # An episode already cited as a better-ranked fact's source adds nothing: drop it.
    cited: set[str] = set()
    kept = []
    for r in out:
        if r["type"] == "episode" and r["id"] in cited:
            continue
        cited.update(r.get("episode_ids") or [])
        kept.append(r)
    return kept


def _dedupe_symmetric(facts: dict[str, Candidate]) -> list[Candidate]:
    """One candidate per (relation, unordered pair): an explicit fact wins over a derived one."""
    best: dict[tuple[Any, ...], Candidate] = {}
    for c in facts.values():
        f = c.record
        key: tuple[Any, ...] = (f["relationship"], frozenset((f["source_id"], f["target_id"])))
        if not f.get("derived"):
            key = (*key, f["version_id"])
        if f.get("derived"):
            explicit = [
                o
                for o in facts.values()
                if not o.record.get("derived")
                and o.record["relationship"] == f["relationship"]
                and {o.record["source_id"], o.record["target_id"]}
                == {f["source_id"], f["target_id"]}
            ]
            if explicit:
                continue
        if key not in best:
            best[key] = c
    return list(best.values())

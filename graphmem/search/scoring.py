"""Every candidate a search found, scored and in order.

Each fact gets its `ranking.FactFeatures` (relation intent, whether it touches what the
question is about, personalized PageRank from the entry points, similarity to the query,
recency) and each episode its `ranking.EpisodeFeatures`, blended by `ranking.blend` into one
score in [0, 1], so an episode (a raw turn) is returned when it is the best evidence. Results
come best first (ties by type, then id). A derived fact is left out when a stored fact of the
same relation joins the same two entities (either way round), and so is an episode already
cited as a better-ranked fact's source.

The PageRank runs over the entity-episode graph as HippoRAG 2 does: entities joined by the
facts found, and the episodes found joined to the entities they mention and to their
speaker's entity. It restarts at the entry entities and, `EPISODE_RESTART` x similarity, at
the episodes; an episode's proximity is its own PageRank. An episode's anchor is 1 when its
speaker is what the question is about ("what did Gina design?": Gina's turns), 0.5 when it
mentions that (Jon's "Thanks, Gina!"), else 0 (what these did to LoCoMo evidence recall is
in the README's benchmark section). A fact of a relation the question asks about stands in
for its own source episode when that scores higher (the structured answer, citing the turn,
in the turn's place). When the question names a date ("in July 2023", "on
October 13", read by `graphmem.search.intent`), the `recency` feature is instead whether the
candidate's time (a fact's valid_from, an episode's occurred_at) falls on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..resolve import name_key
from . import ranking
from .found import Candidate, Found
from .intent import ParsedQuery
from .shaping import episode_result

# An episode's restart weight per unit of similarity, next to the entry entities' (up to 1):
# HippoRAG 2's passage-node factor, so the walk starts mostly at what the query names.
EPISODE_RESTART = 0.05


def rank(parsed: ParsedQuery, found: Found, include_episodes: bool) -> list[dict[str, Any]]:
    """The candidates of `found` as scored results, best first (see the module docstring);
    each carries its `_path` and `_features` for `shaping.shape`."""
    facts = _dedupe_symmetric(found.facts)
    entity_of_key = {
        name_key(entry["name"] or ""): eid for eid, entry in sorted(found.entry.items())
    }
    speaker = {ep["id"]: _speaker(ep, entity_of_key) for ep in found.episodes}
    edges = [(c.record["source_id"], c.record["target_id"]) for c in facts]
    edges += [(ep["id"], e) for ep in found.episodes for e in ep["entity_ids"]]
    edges += [(ep, e) for ep, e in speaker.items() if e is not None]
    restart = {**found.seeds}
    restart.update({ep["id"]: EPISODE_RESTART * ep["similarity"] for ep in found.episodes})
    proximity = ranking.normalized(ranking.personalized_pagerank(edges, restart))
    times = [c.record["valid_from"] or c.record["recorded_at"] for c in facts]
    times += [ep["occurred_at"] for ep in found.episodes]
    newest = max((t for t in times if t), default=None)

    seeds = found.seeds.keys()
    asked = parsed.when

    def timely(when: str | None) -> float:
        """Recency, or for a question that names a date whether `when` falls on it."""
        if asked is None:
            return ranking.recency(when, newest)
        return 1.0 if asked.holds(when) else 0.0

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
            recency=timely(f["valid_from"] or f["recorded_at"]),
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
        for ep in found.episodes:
            if speaker[ep["id"]] in found.focus:
                a = 1.0
            else:
                a = 0.5 if set(ep["entity_ids"]) & found.focus else 0.0
            features_e = ranking.EpisodeFeatures(
                similarity=ep["similarity"],
                anchor=a,
                proximity=proximity.get(ep["id"], 0.0),
                recency=timely(ep["occurred_at"]),
            )
            out.append(
                {
                    **episode_result(ep),
                    "score": ranking.blend(features_e),
                    "_features": features_e,
                    "_path": [],
                }
            )
    absorbed = _stand_in_for_sources(out)
    out.sort(key=lambda r: (-r["score"], r["type"], str(r["id"])))
    # An episode already cited as a better-ranked fact's source adds nothing: drop it.
    cited: set[str] = set()
    kept = []
    for r in out:
        if r["type"] == "episode" and (r["id"] in cited or r["id"] in absorbed):
            continue
        cited.update(r.get("episode_ids") or [])
        kept.append(r)
    return kept


def _stand_in_for_sources(out: list[dict[str, Any]]) -> set[str]:
    """A fact of a relation the question asks about takes the place of its best-scored source
    episode when that episode scores higher ("Where does Rita live?": "Rita lives in Lisbon"
    where her "I live in Lisbon." would rank); the ids of the episodes so replaced."""
    episode_score = {r["id"]: r["score"] for r in out if r["type"] == "episode"}
    absorbed: set[str] = set()
    for r in out:
        if r["type"] != "fact" or r["_features"].intent <= 0.0:
            continue
        sources = [e for e in r.get("episode_ids") or [] if e in episode_score]
        best = max(sources, key=lambda e: episode_score[e], default=None)
        if best is not None and episode_score[best] > r["score"]:
            r["score"] = episode_score[best]
            absorbed.add(best)
    return absorbed


def _speaker(ep: dict[str, Any], entity_of_key: dict[str, str]) -> str | None:
    """The id of the entry entity named as the episode's speaker, if any."""
    return entity_of_key.get(name_key(ep["name"])) if ep.get("name") else None


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

"""Where a search starts: the entities and episodes the query points at.

The query is read with the ontology (`graphmem.search.intent`): its word n-grams are looked up
as the owner's entity names (exact, through the (owner, name_key) index; "I"/"my"/"the user"
mean the scope's own entity), its words in the entity full-text index, its embedding in the
entity vector index (`graphmem.search.entity_lookup`, owner-scoped) and in the episode vector
index (over-fetch then keep the scope's; the exact scan of the scope's episodes when that
leaves fewer than needed) and its words in the episode full-text index. Every entry point
seeds `Found` with a restart weight (`W_*`) for the PageRank walk; the best episodes bring the
entities they mention.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from ..context import Context
from ..effects import Query, Steps, read, read_all
from ..effects import query as statement
from ..scope import Scope
from . import ranking
from .found import Found
from .intent import STOPWORDS, ParsedQuery
from .shaping import episode

ENTITY_K = 5  # nearest entities taken as entry points
# Episodes scored per search from each of the vector and full-text indexes (at least; 2 x
# limit when larger). 60 found more of LoCoMo's evidence than 20 and 45 for no measurable
# time (benchmarks/locomo_retrieval.py).
EPISODE_K_MIN = 60
EPISODE_CANDIDATES = 200  # episode index over-fetch before keeping the scope's
# Entity full-text hits read before keeping the owner's: at least this many, more for an owner
# holding a small share of all entities (FULLTEXT_SHARE x ENTITY_K x total / owned), at most
# FULLTEXT_MAX.
FULLTEXT_MIN, FULLTEXT_SHARE, FULLTEXT_MAX = 200, 4, 10_000
EPISODE_SEEDS = 5  # the best episodes whose mentioned entities seed the traversal
# Entry weights: how strongly each kind of entry point restarts the PageRank walk.
W_NAMED, W_FULLTEXT, W_VECTOR, W_EPISODE, W_CHAIN_START = 1.0, 0.6, 0.8, 0.5, 0.3


def entry_points(
    ctx: Context,
    scope: Scope,
    parsed: ParsedQuery,
    vector: list[float],
    found: Found,
    episode_k: int,
) -> Steps[None]:
    """Seed `found` from every entry point. Their statements are independent, so they are
    read at once (`read_all`); what each found is then applied in a fixed order."""
    words = [w for w in re.findall(r"\w+", parsed.text.lower()) if w not in STOPWORDS]
    text = " ".join(words)
    narrow = scope.narrow()
    candidates = max(EPISODE_CANDIDATES, 4 * episode_k)
    queries: dict[str, Query] = {}
    if parsed.name_keys:
        queries["named"] = statement(
            "search_entities_named", owner=scope.owner, keys=list(parsed.name_keys)
        )
    es = ctx.entity_search
    fulltext_candidates = FULLTEXT_MAX
    if es is not None:
        plan = yield from es.plan_steps(scope.owner, ENTITY_K)
        queries["vector"] = es.first_query(plan, scope.owner, vector, ENTITY_K)
        share = FULLTEXT_SHARE * ENTITY_K * plan.total / max(plan.owned, 1)
        fulltext_candidates = min(FULLTEXT_MAX, max(FULLTEXT_MIN, math.ceil(share)))
    if words:
        queries["fulltext"] = statement(
            "search_entities_fulltext",
            index=ctx.dialect.entity_fulltext_index,
            text=text,
            candidates=fulltext_candidates,
            owner=scope.owner,
            k=ENTITY_K,
        )
    queries["episodes"] = statement(
        "search_episodes",
        vector_index=ctx.dialect.episode_vector_index,
        text_index=ctx.dialect.episode_fulltext_index,
        text=text if words else None,
        candidates=candidates,
        vector=vector,
        k=episode_k,
        **narrow,
    )
    answers = yield from read_all(*queries.values())
    rows = dict(zip(queries, answers, strict=True))

    chain_starts = {c.start for c in parsed.chains}
    for row in rows.get("named", []):
        start = row["key"] in chain_starts
        found.seed(row, W_CHAIN_START if start else W_NAMED, "name")
        found.named[row["id"]] = row["key"]
        if not start:
            found.focus.add(row["id"])
    best = max((float(r["score"]) for r in rows.get("fulltext", [])), default=0.0)
    for row in rows.get("fulltext", []):
        found.seed(row, W_FULLTEXT * float(row["score"]) / best, "fulltext")
    if es is not None:
        similar = yield from es.finish_steps(plan, queries["vector"], rows["vector"])
        for row in similar.results:
            found.seed(row, W_VECTOR * ranking.clamp01(row["score"]), "vector")
    [episodes] = rows["episodes"]
    found.episodes = yield from _episodes(
        ctx, scope, vector, episode_k, episodes["by_vector"], episodes["by_text"]
    )
    for ep in found.episodes[:EPISODE_SEEDS]:
        for entity in ep["entities"]:
            found.seed(entity, W_EPISODE * ep["similarity"], "episode")


def _episodes(
    ctx: Context,
    scope: Scope,
    vector: list[float],
    k: int,
    rows: list[dict[str, Any]],
    keyword: list[dict[str, Any]],
) -> Steps[list[dict[str, Any]]]:
    """The scope's best episodes for the query, fused from the two entry points of
    `cypher/search_episodes.cypher`: the k nearest by vector (`rows`: index over-fetch; the
    exact scan is read here if it came back short) and the k best keyword matches in the
    episode full-text index (`keyword`). An episode's
    `similarity` is the mean of its cosine and its keyword score (relative to the best
    keyword hit), so both stay in [0, 1]."""
    to_cos: Callable[[float], float] = ctx.dialect.cosine_from_index_score
    if len(rows) < k:
        rows = yield from read("search_episodes_scan", vector=vector, k=k, **scope.narrow())
        to_cos = ctx.dialect.cosine_from_function
    best = max((float(r["score"]) for r in keyword), default=0.0)
    text_score = {r["episode"]["id"]: float(r["score"]) / best for r in keyword if best > 0}
    by_vector = {r["episode"]["id"] for r in rows}
    out: dict[str, dict[str, Any]] = {}
    for r in [*rows, *keyword]:
        eid = r["episode"]["id"]
        if eid in out:
            continue
        if eid in by_vector:
            cosine = ranking.clamp01(to_cos(r["score"]))
        else:  # a keyword hit the vector search did not return
            cosine = ranking.clamp01(ctx.dialect.cosine_from_function(r["cosine"] or 0.0))
        out[eid] = {
            **episode(r["episode"]),
            "similarity": ranking.clamp01((cosine + text_score.get(eid, 0.0)) / 2),
            "cosine": cosine,
            "entities": [e for e in r["entities"] if e.get("id")],
            "entity_ids": [e["id"] for e in r["entities"] if e.get("id")],
        }
    return sorted(out.values(), key=lambda e: (-e["similarity"], e["id"]))

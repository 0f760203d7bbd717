"""Expansion rounds: the facts around the entry points, in scope and time.

From the entry entities, `hops` rounds of `cypher/search_expand.cypher` collect the facts in
scope and time (current and unexpired; or true at `as_of`; or every version with
`include_history`), each round keeping the `EXPAND_LIMIT` facts most similar to the query.
A round expands at most `FRONTIER` entities (the named and strongest entry points, then those
reached by the most similar facts) and reads at most `PER_ENTITY` facts of each, of the
relation types the query asks about and of any type, so a round reads a bounded number of
facts however many a hub (the user, a big employer) holds.

A possessive chain ("Alice's manager") is followed through the facts found: the entities it
reaches become what the question is about. Facts are read light (what ranking needs,
`records.light`); the results' full records are read later (`graphmem.search.shaping`).
"""

from __future__ import annotations

from typing import Any

from .. import records
from ..context import Context
from ..effects import Steps, read
from ..scope import Scope
from . import ranking
from .entry_points import W_NAMED
from .found import Candidate, Found
from .intent import ParsedQuery

EXPAND_LIMIT = 100  # facts kept per traversal round (the most similar to the query)
# Entities expanded per round: the named ones and strongest entry points, then the entities
# reached by the facts most similar to the query. Without a cap the second round expanded
# ~120 entities (every end of 200 facts) and took most of a search's time; 32 found no more
# of LoCoMo's evidence than 16 (benchmarks/locomo_retrieval.py) and cost a third more.
FRONTIER = 16
# Facts read per entity and round, of the types the query asks about and of any type: a hub
# (the user, a big employer) can have thousands, and reading them all dominated search time.
PER_ENTITY = 64


def traverse(
    ctx: Context,
    scope: Scope,
    parsed: ParsedQuery,
    vector: list[float],
    found: Found,
    hops: int,
    time_params: dict[str, Any],
) -> Steps[None]:
    """Add to `found` the facts of `hops` expansion rounds from its seeds, with the depth at
    which each entity was reached and the fact that reached it."""
    prefer = sorted(_asked_types(ctx, parsed))
    found.depth = dict.fromkeys(found.seeds, 0)
    frontier = sorted(found.seeds, key=lambda e: (e not in found.named, -found.seeds[e], e))
    frontier = frontier[:FRONTIER]
    for hop in range(1, hops + 1):
        if not frontier:
            break
        facts = yield from expand(scope, frontier, None, prefer, vector, time_params, EXPAND_LIMIT)
        frontier = []
        for fact, raw_similarity in facts:
            if fact["version_id"] in found.facts:
                continue
            similarity = ctx.dialect.cosine_from_function(raw_similarity or 0.0)
            found.facts[fact["version_id"]] = Candidate(fact, ranking.clamp01(similarity))
            for end in (fact["source_id"], fact["target_id"]):
                if end not in found.depth:
                    found.depth[end] = hop
                    found.reached_by[end] = fact["version_id"]
                    frontier.append(end)  # rows come most similar first
        if parsed.chains:
            _follow_chains(ctx, parsed, found)
        # what a possessive chain reached comes first ("Alice's manager": her manager)
        frontier = sorted(frontier, key=lambda e: e not in found.focus)[:FRONTIER]
    _fall_back_to_chain_starts(parsed, found)


def expand(
    scope: Scope,
    ids: list[str],
    types: list[str] | None,
    prefer: list[str],
    vector: list[float] | None,
    time_params: dict[str, Any],
    limit: int,
) -> Steps[list[tuple[dict[str, Any], float | None]]]:
    """One round of traversal (cypher/search_expand.cypher): of an entity's facts, up to
    PER_ENTITY of the `prefer` types and PER_ENTITY of any type are considered. Facts come
    light (`records.light`) with their raw similarity, most similar first."""
    rows = yield from read(
        "search_expand",
        ids=ids,
        types=types,
        prefer=prefer,
        per_entity=PER_ENTITY,
        vector=vector,
        limit=limit,
        **scope.narrow(),
        **time_params,
    )
    return [records.light(values) for values in rows[0]["facts"]] if rows else []


def _asked_types(ctx: Context, parsed: ParsedQuery) -> set[str]:
    """Stored relation types the query asks about (intent and possessive chains, with their
    inverses; a derived relation stands for the relations it is made of)."""
    names = {*parsed.intent, *(c.relation for c in parsed.chains)}
    out: set[str] = set()
    for d in ctx.ontology.derived_relations:
        if d.name in names:
            out.update(step.type for step in d.path)
    for r in ctx.ontology.relation_types:
        if r.name in names:
            out.update([r.name, *([r.inverse] if r.inverse else [])])
    return out


def _follow_chains(ctx: Context, parsed: ParsedQuery, found: Found) -> None:
    """Entities reached by the query's possessive chains become its focus ("Alice's manager"
    -> the entity Alice REPORTS_TO, or who MANAGES Alice)."""
    for chain in parsed.chains:
        rel = ctx.ontology.relation(chain.relation)
        for vid, cand in found.facts.items():
            f = cand.record
            s_ok = found.named.get(f["source_id"]) == chain.start
            t_ok = found.named.get(f["target_id"]) == chain.start
            if f["relationship"] == rel.name and (s_ok or (rel.symmetric and t_ok)):
                target = f["target_id"] if s_ok else f["source_id"]
            elif f["relationship"] == rel.inverse and t_ok:
                target = f["source_id"]
            else:
                continue
            found.focus.add(target)
            found.seed(_end(f, target), W_NAMED, "chain")
            found.reached_by[target] = vid


def _fall_back_to_chain_starts(parsed: ParsedQuery, found: Found) -> None:
    """When the query's possessive chains reached nothing, the question is about where they
    start ("Melanie's daughter's birthday" with no daughter known: Melanie)."""
    if parsed.chains and not any(e["via"] == "chain" for e in found.entry.values()):
        starts = {c.start for c in parsed.chains}
        found.focus.update(e for e, key in found.named.items() if key in starts)


def _end(f: dict[str, Any], entity_id: str) -> dict[str, Any]:
    """The endpoint `entity_id` of fact `f` as an entity dict."""
    side = "source" if f["source_id"] == entity_id else "target"
    return {"id": entity_id, "name": f[side], "type": f[f"{side}_type"]}

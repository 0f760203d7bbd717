"""Derived relations: facts the ontology defines as a pattern of stored ones.

A derived relation the query asks for (WORKS_WITH from two WORKS_AT at one organization at
overlapping times) is matched as a graph pattern (`cypher/search_derived_pair.cypher`), not
guessed from similarity. Only two-step patterns are matched. A derived fact is shaped like a
stored one (`derived: True`, `via` the entity in the middle); its id names the two facts it
comes from, and it is current only when both are.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..effects import Steps, read
from ..ontology import DerivedRelation
from ..scope import Scope
from ..times import from_store
from .found import Candidate, Found
from .intent import ParsedQuery

DERIVED_LIMIT = 200


def match_derived(
    ctx: Context,
    scope: Scope,
    parsed: ParsedQuery,
    found: Found,
    time_params: dict[str, Any],
) -> Steps[None]:
    """Derived relations the query asks about, matched from what the question is about."""
    sources = sorted(found.focus) or sorted(found.seeds)
    if not sources:
        return
    for d in ctx.ontology.derived_relations:
        if parsed.intent.get(d.name, 0.0) <= 0.0:
            continue
        rows = yield from derived_rows(scope, d, sources, time_params)
        for row in rows:
            fact = derived_record(d, ctx, row)
            parts = [row["first_fact"]["id"], row["second_fact"]["id"]]
            sims = [found.facts[p].similarity for p in parts if p in found.facts]
            found.facts[fact["version_id"]] = Candidate(fact, max(sims, default=0.0), parts)


def derived_rows(
    scope: Scope, d: DerivedRelation, ids: list[str], time_params: dict[str, Any]
) -> Steps[list[dict[str, Any]]]:
    """Rows of `cypher/search_derived_pair.cypher` (two-step patterns; longer ones are not
    matched)."""
    if len(d.path) != 2:
        return []
    first, second = d.path
    rows = yield from read(
        "search_derived_pair",
        ids=ids,
        first=first.type,
        first_out=first.direction == "out",
        second=second.type,
        second_out=second.direction == "out",
        limit=DERIVED_LIMIT,
        **scope.narrow(),
        **time_params,
    )
    return rows


def derived_record(d: DerivedRelation, ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    """A derived fact shaped like a stored one; its id names the two facts it comes from."""
    a, b = row["first_fact"], row["second_fact"]
    src, dst, via = row["source"], row["target"], row["via"]
    rel = ctx.ontology.relation(d.name)
    text = (rel.template or "{subject} " + d.name.lower() + " {object}").format(
        subject=src["name"], object=dst["name"]
    )
    starts = [from_store(x.get("valid_from")) for x in (a, b)]
    ends = [from_store(x.get("valid_to")) for x in (a, b)]
    recorded = [from_store(x.get("recorded_at")) or "" for x in (a, b)]
    return {
        "id": f"derived:{d.name}:{a['memory_id']}:{b['memory_id']}",
        "memory": f"{text} (via {via['name']})",
        "source": src["name"],
        "relationship": d.name,
        "target": dst["name"],
        "source_type": src.get("type"),
        "target_type": dst.get("type"),
        "derived": True,
        "via": via["name"],
        "version": None,
        "version_id": f"derived:{d.name}:{a['id']}:{b['id']}",
        "status": "current" if a.get("status") == b.get("status") == "current" else "closed",
        "valid_from": max((s for s in starts if s), default=None),
        "valid_to": min((e for e in ends if e), default=None),
        "recorded_at": max(recorded) or None,
        "expired_at": None,
        "created_at": max(recorded) or None,
        "updated_at": max(recorded) or None,
        "user_id": a.get("user_id"),
        "agent_id": a.get("agent_id"),
        "run_id": a.get("run_id"),
        "episode_ids": sorted({*(a.get("episode_ids") or []), *(b.get("episode_ids") or [])}),
        "confidence": None,
        "metadata": None,
        "expiration_date": None,
        "immutable": False,
        "source_id": src["id"],
        "target_id": dst["id"],
    }

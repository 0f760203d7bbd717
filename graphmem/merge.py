"""Merge two entities that turned out to be one (`merge_entities`).

Every fact of the merged entity, with all its versions, moves to the kept one; the merged
entity's names become aliases. Afterwards two current facts may say the same thing (the
older one is kept and takes the other's sources) or give a functional relation two values
(the newest is kept); the others are closed as superseded, so history keeps them.
"""

from __future__ import annotations

from typing import Any

from .context import Context
from .effects import Steps, TxSteps, run, write
from .errors import NotFoundError, ValidationError
from .facts import close_version
from .reconcile import current_around
from .resolve import name_key
from .scope import Scope
from .times import now_iso


def merge_entities(
    ctx: Context,
    keep: str,
    merge: str,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
) -> Steps[dict[str, Any]]:
    """Merge entity `merge` into entity `keep` (each a name or an id in the caller's
    namespace). Returns the kept entity and the facts closed as duplicates."""
    scope = Scope.of(user_id, agent_id, run_id)
    now = now_iso()

    def work() -> TxSteps[dict[str, Any]]:
        kept = yield from _entity(scope, keep)
        gone = yield from _entity(scope, merge)
        if kept["id"] == gone["id"]:
            raise ValidationError(f"{keep!r} and {merge!r} are already the same entity")
        rows = yield from run("entity_relation_types", id=gone["id"])
        types = sorted({r["type"] for r in rows})
        for rel_type in types:
            for name in ("entity_move_out", "entity_move_in"):
                yield from run(name, rel_type=rel_type, from_id=gone["id"], to_id=kept["id"])
        yield from run("entity_absorb", from_id=gone["id"], to_id=kept["id"], now=now)
        closed = yield from _dedupe(ctx, scope, kept["id"], types, now)
        return {"id": kept["id"], "name": kept["name"], "merged": gone["name"], "closed": closed}

    result = yield from write(work)
    return {"message": f"Merged {result['merged']} into {result['name']}", "results": [result]}


def _entity(scope: Scope, ref: str) -> TxSteps[dict[str, Any]]:
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationError("entities are named by a non-empty name or id")
    rows = yield from run("entity_lookup", owner=scope.owner, id=ref, name_key=name_key(ref))
    if not rows:
        raise NotFoundError(f"no entity {ref!r} in {scope.owner}'s memory")
    if len(rows) > 1:
        raise ValidationError(f"{ref!r} names more than one entity: use its id")
    return rows[0]


def _dedupe(
    ctx: Context, scope: Scope, entity_id: str, types: list[str], now: str
) -> TxSteps[list[dict[str, Any]]]:
    """Close the current facts the merge made redundant, on both sides of the kept entity:
    leaving it (equal facts, and a functional relation's other values) and entering it
    (equal facts of one subject)."""
    closed: list[dict[str, Any]] = []
    for rel_type in types:
        rel = ctx.ontology.relation(rel_type)
        facts = yield from current_around(ctx, scope, rel, entity_id, now)
        same = [f for f in facts if f["kind"] == "same"]
        kept = yield from _keep_one_each(same, closed)
        if rel.cardinality == "one" and len(kept) > 1:
            newest = max(kept.values(), key=lambda f: (f["valid_from"] or "", f["recorded_at"]))
            closed.extend(f for f in kept.values() if f is not newest)
        if not rel.symmetric:  # current_around reads entering facts of symmetric ones only
            entering = yield from current_around(ctx, scope, rel, entity_id, now, entering=True)
            yield from _keep_one_each(entering, closed)
    for fact in closed:
        yield from close_version(fact, "superseded", now, now)
    return [{k: v for k, v in f.items() if k not in ("kind", "other_id")} for f in closed]


def _keep_one_each(
    facts: list[dict[str, Any]], closed: list[dict[str, Any]]
) -> TxSteps[dict[str, dict[str, Any]]]:
    """Of `facts` (one relation, one side of an entity) with the same `other_id`, the first
    created stays and takes the others' sources; the others go to `closed`. The ones that
    stay, by other_id."""
    kept: dict[str, dict[str, Any]] = {}
    for fact in sorted(facts, key=lambda f: f["created_at"] or ""):
        first = kept.setdefault(fact["other_id"], fact)
        if first is not fact:  # the same fact twice: one keeps both sources
            yield from run(
                "fact_add_provenance",
                subject_id=first["source_id"],
                id=first["version_id"],
                episode_ids=fact["episode_ids"],
                start=None,
            )
            closed.append(fact)
    return kept

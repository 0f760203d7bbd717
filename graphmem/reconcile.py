"""Reconciliation: what a candidate fact does to the current ones (ADD, UPDATE, DELETE, NOOP).

Driven by the ontology. The same object again is a NOOP (provenance grows, no duplicate
edge); a functional relation (cardinality one) with a new object UPDATEs the same memory;
anything else is a new fact.

>>> from graphmem.ontology import RelationType
>>> lives_in = RelationType(name="LIVES_IN", cardinality="one")
>>> decide(lives_in, "berlin", [{"target_id": "paris"}]).event
'UPDATE'
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from . import records
from .context import Context
from .effects import TxSteps, run
from .facts import Fact, close_version, create_version
from .ontology import RelationType
from .resolve import entity_id
from .scope import Scope


@dataclass(frozen=True)
class Decision:
    """What to do with a candidate: the event, the fact it repeats or replaces, what to close."""

    event: Literal["ADD", "UPDATE", "NOOP"]
    existing: dict[str, Any] | None = None
    close: list[dict[str, Any]] = field(default_factory=list)


def decide(relation: RelationType, object_id: str, current: list[dict[str, Any]]) -> Decision:
    """`current` are the current facts of this type leaving the same subject, newest first."""
    for fact in current:
        if fact["target_id"] == object_id:
            return Decision("NOOP", existing=fact)
    if relation.cardinality == "one" and current:
        return Decision("UPDATE", existing=current[0], close=list(current))
    return Decision("ADD")


def apply_fact(
    ctx: Context, scope: Scope, fact: Fact, episode_ids: list[str], occurred: str, now: str
) -> TxSteps[dict[str, Any] | None]:
    """Reconcile one fact with the current ones and write the outcome; the event or None."""
    s_vec, o_vec, _ = fact.vectors
    if fact.negated:  # retract what is denied; never create entities for it
        s_id = yield from entity_id(scope, fact.subject, fact.s_label, s_vec, now, create=False)
        o_id = yield from entity_id(scope, fact.object, fact.o_label, o_vec, now, create=False)
        if s_id is None or o_id is None:
            return None
        current = yield from current_facts(scope, s_id, fact.rel.name)
        denied = [f for f in current if f["target_id"] == o_id]
        for old in denied:
            yield from close_version(old, "deleted", fact.end or now, now)
        if not denied:
            return None
        return {
            **denied[0],
            "event": "DELETE",
            "status": "deleted",
            "expired_at": now,
            "previous_memory": denied[0]["memory"],
        }
    s_id = yield from entity_id(scope, fact.subject, fact.s_label, s_vec, now)
    o_id = yield from entity_id(scope, fact.object, fact.o_label, o_vec, now)
    assert s_id is not None and o_id is not None
    current = yield from current_facts(scope, s_id, fact.rel.name)
    decision = decide(fact.rel, o_id, current)
    if decision.event == "NOOP":
        assert decision.existing is not None
        yield from run(
            "fact_add_provenance",
            subject_id=s_id,
            id=decision.existing["version_id"],
            episode_ids=episode_ids,
        )
        return {**decision.existing, "event": "NOOP"}
    previous, close = decision.existing, list(decision.close)
    if previous is None and fact.replaces:  # an LLM named the memory this one updates
        target = [f for f in current if f["id"] == fact.replaces]
        previous, close = (target[0], target) if target else (None, [])
    memory_id, version, created = str(uuid.uuid4()), 1, now
    if previous is not None:
        memory_id, version = previous["id"], previous["version"] + 1
        created = previous["created_at"] or now
        for old in close:
            yield from close_version(old, "superseded", fact.start or now, now)
    event = yield from create_version(
        scope,
        fact,
        s_id,
        o_id,
        memory_id=memory_id,
        version=version,
        valid_from=fact.start,
        now=now,
        created_at=created,
        episode_ids=episode_ids,
    )
    event["event"] = "ADD" if previous is None else "UPDATE"
    if previous is not None:
        event["previous_memory"] = previous["memory"]
    return event


def current_facts(scope: Scope, subject_id: str, rel_type: str) -> TxSteps[list[dict[str, Any]]]:
    """Current facts of one type leaving a subject in the scope, newest first."""
    rows = yield from run(
        "fact_current", subject_id=subject_id, type_name=rel_type, **scope.narrow()
    )
    facts = [records.fact(row) for row in rows]
    facts.sort(key=lambda f: f["recorded_at"] or "", reverse=True)
    return facts

"""Decide what a candidate relation does to the current facts: ADD, UPDATE or NOOP.

Driven by the ontology. Minimal rules for now: the same object again is a NOOP (provenance
grows, no duplicate edge); a functional relation (cardinality one) with a new object UPDATEs
the same memory; anything else is a new fact.

>>> from graphmem.ontology import RelationType
>>> lives_in = RelationType(name="LIVES_IN", cardinality="one")
>>> decide(lives_in, "berlin", [{"target_id": "paris"}]).event
'UPDATE'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .ontology import RelationType


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

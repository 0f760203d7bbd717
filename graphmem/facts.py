"""Candidate facts (validated before anything is written) and the statements that open and
close one version of a fact."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from . import records
from .effects import TxSteps, run
from .errors import ValidationError
from .ontology import Ontology, RelationType
from .scope import Scope
from .times import to_iso

_MAX_NAME = 256


@dataclass
class Fact:
    """A validated candidate fact, ready to be embedded and applied inside a transaction."""

    rel: RelationType
    subject: str
    object: str
    s_label: str
    o_label: str
    start: str | None
    end: str | None
    metadata: str | None
    confidence: float | None
    expires: str | None
    immutable: bool
    negated: bool
    replaces: str | None
    text: str
    vectors: tuple[list[float], list[float], list[float]] = field(default=([], [], []))


def prepare(
    ontology: Ontology,
    subject: Any,
    relation: str,
    object: Any,
    *,
    subject_type: str | None = None,
    object_type: str | None = None,
    valid_from: Any = None,
    valid_to: Any = None,
    metadata: str | None = None,
    confidence: float | None = None,
    expiration_date: Any = None,
    immutable: bool = False,
    negated: bool = False,
    replaces: str | None = None,
) -> Fact:
    """Validate a candidate fact completely, before anything is written."""
    rel = ontology.relation(relation)
    if rel.inverse and rel.cardinality == "many":  # store "Bob manages Ann" as Ann REPORTS_TO Bob
        inverse = ontology.relation(rel.inverse)
        if inverse.cardinality == "one":
            rel, subject, object = inverse, object, subject
            subject_type, object_type = object_type, subject_type
    subject, object = _entity_name(subject, "subject"), _entity_name(object, "object")
    start, end = to_iso(valid_from, "valid_from"), to_iso(valid_to, "valid_to")
    if start and end and end < start:
        raise ValidationError(f"valid_to ({end}) is before valid_from ({start})")
    if confidence is not None and not 0.0 <= float(confidence) <= 1.0:
        raise ValidationError(f"confidence must be in [0, 1], got {confidence}")
    return Fact(
        rel=rel,
        subject=subject,
        object=object,
        s_label=ontology.entity_label(subject_type or _first(rel.subject)),
        o_label=ontology.entity_label(object_type or _first(rel.object)),
        start=start,
        end=end,
        metadata=metadata,
        confidence=confidence,
        expires=to_iso(expiration_date, "expiration_date"),
        immutable=bool(immutable),
        negated=negated,
        replaces=replaces,
        text=fact_text(rel, subject, object),
    )


def fact_text(rel: RelationType, subject: str, object: str) -> str:
    """The readable sentence of a fact, from the relation's template.

    >>> fact_text(RelationType(name="LIVES_IN"), "Ida", "Oslo")
    'Ida lives in Oslo'
    """
    if rel.template:
        return rel.template.format(subject=subject, object=object)
    return f"{subject} {rel.name.lower().replace('_', ' ')} {object}"


def create_version(
    scope: Scope,
    fact: Fact,
    subject_id: str,
    object_id: str,
    *,
    memory_id: str,
    version: int,
    valid_from: str | None,
    now: str,
    created_at: str,
    episode_ids: list[str],
    valid_to: str | None = None,
    status: str = "current",
    expired_at: str | None = None,
) -> TxSteps[dict[str, Any]]:
    """Write one version of a fact (see cypher/fact_create.cypher) and return it. Its value
    is said to begin at `valid_from` (see graphmem/timeline.py)."""
    version_id = str(uuid.uuid4())
    rows = yield from run(
        "fact_create",
        rel_type=fact.rel.name,
        subject_id=subject_id,
        object_id=object_id,
        id=version_id,
        memory_id=memory_id,
        version=version,
        fact=fact.text,
        status=status,
        valid_from=valid_from,
        valid_to=valid_to or fact.end,
        asserted_from=[valid_from] if valid_from else [],
        now=now,
        expired_at=expired_at,
        created_at=created_at,
        episode_ids=episode_ids,
        confidence=fact.confidence,
        metadata=fact.metadata,
        expiration_date=fact.expires,
        immutable=fact.immutable,
        embedding=fact.vectors[2],
        **scope.params(),
    )
    return records.fact(rows[0])


def close_version(fact: dict[str, Any], status: str, valid_to: str, now: str) -> TxSteps[None]:
    """Close a current version (superseded or deleted); the relationship is kept."""
    closed = yield from run(
        "fact_close",
        subject_id=fact["source_id"],
        id=fact["version_id"],
        status=status,
        valid_to=valid_to,
        now=now,
    )
    if not closed:
        raise ValidationError(
            f"memory {fact['id']!r} changed while this call ran (no current version to close); "
            "read it again and retry"
        )


def _first(types: list[str]) -> str | None:
    return types[0] if types else None


def _entity_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty name")
    if len(value) > _MAX_NAME:
        raise ValidationError(f"{field} is longer than {_MAX_NAME} characters")
    return " ".join(value.split())

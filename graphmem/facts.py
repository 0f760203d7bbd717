"""Candidate facts (validated before anything is written) and the statements that open and
close one version of a fact.

Memory ids. A new memory's id names the relationship type of its first version:
``"LIKES-<32 hex digits>"`` (`new_memory_id`). Every relationship type has an index on
``memory_id`` (created with the type, see `graphmem.store.dialect`), so the versions of that type
are one index seek away (`cypher/fact_versions_of_type.cypher`). A memory can change type (LIKES
becomes DISLIKES, `update(relation=...)`): its versions of the id's type then carry
``memory_types``, the other types its versions have (`cypher/fact_memory_types.cypher`), kept by
`create_version` and by imports (`keep_memory_types` for the types `other_types` finds in the
document); it is internal and never exported, and an import keeps what a version it replaces
carried.
Ids without a type (uuid4 ids of older stores, ids of imports or hand-made data) are found by a
scan of every relationship, as before (see `graphmem.reads.versions`). A version already read
is closed through its own type's index, whatever its id (`close_version`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import records
from .categories import assign
from .effects import TxSteps, run
from .errors import ValidationError
from .ontology import Ontology, RelationType
from .scope import Scope
from .times import to_iso

_MAX_NAME = 256
# "<TYPE>-<uuid4 hex>": the type passes the relation name check, hex cannot contain "-".
_MEMORY_ID = re.compile(r"^([A-Z][A-Z0-9_]{0,63})-([0-9a-f]{32})$")
# The property of a memory's versions of its id's type that lists its other types.
MEMORY_TYPES = "memory_types"


def new_memory_id(rel_type: str) -> str:
    """A new memory's id, naming the type of its first version.

    >>> new_memory_id("LIKES").startswith("LIKES-")
    True
    """
    memory_id = f"{rel_type}-{uuid.uuid4().hex}"
    if memory_type(memory_id) is None:
        raise ValueError(f"unsafe relation type {rel_type!r}")
    return memory_id


def memory_type(memory_id: str) -> str | None:
    """The relationship type a memory id names, or None (an id of another form).

    >>> memory_type("WORKS_AT-" + "0" * 32)
    'WORKS_AT'
    >>> memory_type("9e544051-c03a-40af-a6b8-3e7edb5ff240") is None
    True
    """
    match = _MEMORY_ID.fullmatch(memory_id) if isinstance(memory_id, str) else None
    return match.group(1) if match else None


def other_types(versions: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """`memory_types` from (memory_id, relationship type) pairs of versions: for each memory
    whose id names a type and whose versions also have others, those others, sorted.

    >>> a, b = "LIKES-" + "a" * 32, "LIKES-" + "b" * 32
    >>> other_types([(a, "LIKES"), (a, "DISLIKES"), (b, "LIKES"), ("m1", "KNOWS")])
    {'LIKES-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': ['DISLIKES']}
    """
    found: dict[str, set[str]] = {}
    for memory_id, rel_type in versions:
        first = memory_type(memory_id)
        if first is not None and rel_type != first:
            found.setdefault(memory_id, set()).add(rel_type)
    return {memory_id: sorted(types) for memory_id, types in found.items()}


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
    categories: tuple[str, ...] = ()
    evidence: str | None = None  # the sentence it was read from, when the extractor says


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
    categories: Sequence[str] = (),
    taxonomy: Mapping[str, str] | None = None,
    evidence: str | None = None,
) -> Fact:
    """Validate a candidate fact completely, before anything is written. Its categories are
    `categories` when given, else assigned in `taxonomy` (the ontology's when None) by
    `graphmem.categories.assign`."""
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
    o_label = ontology.entity_label(object_type or _first(rel.object))
    return Fact(
        rel=rel,
        subject=subject,
        object=object,
        s_label=ontology.entity_label(subject_type or _first(rel.subject)),
        o_label=o_label,
        start=start,
        end=end,
        metadata=metadata,
        confidence=confidence,
        expires=to_iso(expiration_date, "expiration_date"),
        immutable=bool(immutable),
        negated=negated,
        replaces=replaces,
        text=fact_text(rel, subject, object),
        categories=tuple(categories)
        or assign(
            ontology.categories_of(rel, o_label),
            ontology.taxonomy() if taxonomy is None else taxonomy,
        ),
        evidence=evidence,
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
    memory_id: str | None,
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
    is said to begin at `valid_from` (see graphmem/timeline.py).

    `memory_id` None starts a new memory: its id is minted here (`new_memory_id`). Given an
    existing memory's id, the version joins that memory and, when the id names a type, the
    memory's `memory_types` are kept in step (`keep_memory_types`): every write path that
    creates versions goes through here, or must do the same.
    """
    fresh = memory_id is None
    if memory_id is None:
        memory_id = new_memory_id(fact.rel.name)
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
        categories=list(fact.categories),
        **scope.params(),
    )
    if not fresh:
        yield from keep_memory_types(memory_id, [fact.rel.name])
    return records.fact(rows[0])


def keep_memory_types(memory_id: str, rel_types: Iterable[str]) -> TxSteps[None]:
    """After versions of `rel_types` joined an existing memory (a write, an import): when the
    memory's id names a type, its versions of that type get the union of the `memory_types`
    they carry and those of `rel_types` that are other types, all the same list (a new version
    of the id's type takes what its siblings carry). One index seek, nothing written when the
    memory never changed type; nothing at all for ids without a type. The list only grows:
    a type listed after its versions were erased costs one empty seek."""
    first = memory_type(memory_id)
    if first is None:
        return
    yield from run(
        "fact_memory_types",
        rel_type=first,
        memory_id=memory_id,
        add=sorted(set(rel_types) - {first}),
    )


def close_version(fact: dict[str, Any], status: str, valid_to: str, now: str) -> TxSteps[None]:
    """Close a current version (superseded or deleted); the relationship is kept. `fact` is a
    version as `graphmem.records.fact` gives it; it is found by its type's `memory_id` index
    (any id, typed or not), so closing costs the same beside a hub entity."""
    closed = yield from run(
        "fact_close",
        rel_type=fact["relationship"],
        memory_id=fact["id"],
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

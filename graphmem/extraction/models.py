"""What extraction produces: typed entities and candidate relations, validated by pydantic.

Both extractors (offline spaCy rules, one-call LLM) return an `Extraction`; `Memory.add`
applies its relations through the same write path as `add_relation`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ExtractedEntity(BaseModel):
    """A thing the messages mention, with its ontology type."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=256)
    type: str = Field("Thing", description="an entity type of the ontology")


class ExtractedRelation(BaseModel):
    """One candidate fact: subject -[relation]-> object, with time and polarity.

    `negated` says the message denies the fact ("I don't work at Acme any more", "we are no
    longer friends"); `valid_from`/`valid_to` are ISO times resolved against the message time.
    `event`/`memory_id` carry an LLM's reconciliation judgement when one made it.
    """

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=256)
    relation: str = Field(min_length=1, max_length=64)
    object: str = Field(min_length=1, max_length=256)
    subject_type: str | None = None
    object_type: str | None = None
    negated: bool = False
    valid_from: str | None = None
    valid_to: str | None = None
    confidence: float | None = Field(None, ge=0.0, le=1.0)
    evidence: str | None = Field(None, description="the sentence the fact was read from")
    event: Literal["ADD", "UPDATE", "DELETE", "NONE"] | None = None
    memory_id: str | None = Field(None, description="the existing fact an UPDATE/DELETE targets")
    categories: list[str] = Field(
        default_factory=list, max_length=20, description="the LLM's categories for the fact"
    )


class Extraction(BaseModel):
    """Everything extracted from one `add` call."""

    model_config = ConfigDict(extra="forbid")

    entities: list[ExtractedEntity] = Field(default_factory=list)
    relations: list[ExtractedRelation] = Field(default_factory=list)

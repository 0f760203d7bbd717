"""The ontology: which entity and relation types exist, and the rules each relation follows.

Labels and relationship types written to the graph come only from here, or from a name that
passes the strict check below; text from a user or an LLM never reaches a query unchecked.

>>> onto = load_ontology()
>>> onto.relation("works at").cardinality
'one'
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator

from .config import Strict
from .errors import ConfigError, InvalidNameError
from .resources import resource_dir

RELATION_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
LABEL_NAME = re.compile(r"^[A-Z][A-Za-z0-9_]{0,63}$")
# The labels of graphmem's own nodes (EntityVector: ArcadeDB only): no entity type takes one.
RESERVED_LABELS = frozenset({"Entity", "Episode", "Feedback", "EntityVector"})
DEFAULT_ENTITY_TYPE = "Thing"


class _Strict(Strict):
    model_config = ConfigDict(frozen=True)  # and no unknown keys, as every config model


class Category(_Strict):
    """One category of the default taxonomy (`graphmem.categories`)."""

    name: str = Field(min_length=1, max_length=64)
    description: str = ""


class EntityType(_Strict):
    """One kind of thing the memory knows about (becomes the node's second label)."""

    name: str
    description: str = ""
    categories: list[str] = Field(
        default_factory=list, description="categories of a fact whose object is of this type"
    )


class Trigger(_Strict):
    """One way a relation is said, used by the offline extractor (see ontology/default.yaml)."""

    verb: str | None = None
    adj: str | None = None
    noun: str | None = None
    preps: list[str] = Field(default_factory=list)
    under: list[str] = Field(default_factory=list)
    objects: list[str] = Field(default_factory=list, description="allowed object head lemmas")
    negated_only: bool = Field(False, description="counts only negated: 'can't stand'")
    change: bool = False
    ends: bool = False
    reverse: bool = False

    @model_validator(mode="after")
    def _one_head(self) -> Trigger:
        if sum(x is not None for x in (self.verb, self.adj, self.noun)) != 1:
            raise ValueError("a trigger names exactly one of verb, adj, noun")
        return self


class PathStep(_Strict):
    """One hop of a derived relation's graph pattern."""

    type: str
    direction: Literal["out", "in"]


class DerivedRelation(_Strict):
    """A relation computed from a graph pattern (e.g. WORKS_WITH from a shared employer)."""

    name: str
    description: str = ""
    path: list[PathStep] = Field(min_length=1)


class RelationType(_Strict):
    """One relationship type and the rules reconciliation applies to it."""

    name: str
    description: str = ""
    subject: list[str] = Field(default_factory=list, description="allowed subject types")
    object: list[str] = Field(default_factory=list, description="allowed object types")
    cardinality: Literal["one", "many"] = "many"
    inverse: str | None = None
    symmetric: bool = False
    contradicts: list[str] = Field(default_factory=list)
    negation: str | None = Field(None, description="what a negated trigger means (DISLIKES)")
    future: str | None = Field(
        None, description="what it means when dated after the message (PLANS_TO_VISIT)"
    )
    triggers: list[Trigger] = Field(default_factory=list)
    activity_verbs: list[str] = Field(
        default_factory=list,
        description="light verbs stating it of a bare activity: 'do yoga', 'go running'",
    )
    quiet_triggers: list[Trigger] = Field(
        default_factory=list,
        description="extractor-only triggers, too common for query intent: 'take a class'",
    )
    activities: list[str] = Field(
        default_factory=list,
        description="verbs that name the activity themselves: 'I've been painting' -> painting",
    )
    concrete: bool = Field(
        False,
        description="objects must be concrete nouns, a demonstrative one too: 'made this bowl'",
    )
    collective: bool = Field(
        False, description="a 'we' subject states it of the speaker too: 'we went camping'"
    )
    template: str | None = Field(
        None, description="readable fact, e.g. '{subject} works at {object}'"
    )
    categories: list[str] = Field(default_factory=list, description="categories of its facts")


class Ontology(_Strict):
    """A validated set of entity and relation types."""

    entity_types: list[EntityType]
    relation_types: list[RelationType]
    derived_relations: list[DerivedRelation] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list, description="the default taxonomy")

    @model_validator(mode="after")
    def _check_names(self) -> Ontology:
        entity_names = {e.name for e in self.entity_types}
        for e in self.entity_types:
            if not LABEL_NAME.match(e.name) or e.name in RESERVED_LABELS:
                raise ValueError(f"entity type {e.name!r}: must match {LABEL_NAME.pattern}")
        rel_names = {r.name for r in self.relation_types}
        for r in self.relation_types:
            if not RELATION_NAME.match(r.name):
                raise ValueError(f"relation type {r.name!r}: must match {RELATION_NAME.pattern}")
            for t in [*r.subject, *r.object]:
                if t not in entity_names:
                    raise ValueError(f"relation type {r.name}: unknown entity type {t!r}")
            for other in [r.inverse, r.negation, r.future, *r.contradicts]:
                if other is not None and other not in rel_names:
                    raise ValueError(f"relation type {r.name}: unknown relation {other!r}")
        category_names = {c.name for c in self.categories}
        if len(category_names) != len(self.categories):
            raise ValueError("categories: every name must be distinct")
        typed: list[EntityType | RelationType] = [*self.entity_types, *self.relation_types]
        for kind in typed:
            for c in kind.categories:
                if c not in category_names:
                    raise ValueError(f"type {kind.name}: unknown category {c!r}")
        for d in self.derived_relations:
            if not RELATION_NAME.match(d.name):
                raise ValueError(f"derived relation {d.name!r}: must match {RELATION_NAME.pattern}")
            for step in d.path:
                if step.type not in rel_names:
                    raise ValueError(f"derived relation {d.name}: unknown relation {step.type!r}")
        return self

    def relation(self, name: str) -> RelationType:
        """The declared relation type for `name`, or an open-world one that passed the check."""
        type_name = relation_type_name(name)
        for r in self.relation_types:
            if r.name == type_name:
                return r
        return RelationType(name=type_name)

    def taxonomy(self) -> dict[str, str]:
        """The default taxonomy: category name -> description."""
        return {c.name: c.description for c in self.categories}

    def categories_of(self, rel: RelationType, object_type: str | None) -> list[str]:
        """The categories the ontology maps a fact to: its relation type's, then those of
        its object's entity type (when declared)."""
        entity = next((e.categories for e in self.entity_types if e.name == object_type), [])
        return [*rel.categories, *entity]

    def entity_label(self, name: str | None) -> str:
        """A label for an entity type: declared, or open-world after the strict check."""
        if not name:
            return DEFAULT_ENTITY_TYPE
        label = name.strip()
        label = label[:1].upper() + label[1:]
        if not LABEL_NAME.match(label) or label in RESERVED_LABELS:
            raise InvalidNameError(
                f"entity type {name!r} is not a valid label: use letters, digits and '_', "
                f"starting with a capital letter (pattern {LABEL_NAME.pattern})"
            )
        return label


def relation_type_name(name: str) -> str:
    """Normalize `name` ('works at' -> 'WORKS_AT') and refuse anything that is not a safe type."""
    if not isinstance(name, str):
        raise InvalidNameError(f"relation type must be a string, got {type(name).__name__}")
    candidate = "_".join(name.strip().upper().split())
    if not RELATION_NAME.match(candidate):
        raise InvalidNameError(
            f"relation type {name!r} is not a valid relationship type: use letters, digits and "
            f"'_' (after upper-casing it must match {RELATION_NAME.pattern}); nothing was written"
        )
    return candidate


def _read_yaml(file: Path) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read ontology {file}: {exc}") from exc


def _extend(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The default ontology plus `extra`'s types; an entry with a default's name replaces it."""
    merged: dict[str, Any] = {}
    for key in ("entity_types", "relation_types", "derived_relations", "categories"):
        entries = {e["name"]: e for e in base.get(key, []) if isinstance(e, dict)}
        for entry in extra.get(key, []) or []:
            if not isinstance(entry, dict) or "name" not in entry:
                raise ConfigError(f"ontology {key}: every entry needs a name, got {entry!r}")
            entries[entry["name"]] = entry
        merged[key] = list(entries.values())
    unknown = set(extra) - {
        "extends",
        "entity_types",
        "relation_types",
        "derived_relations",
        "categories",
    }
    if unknown:
        raise ConfigError(f"ontology: unknown keys {sorted(unknown)}")
    return merged


def load_ontology(path: str | Path | None = None) -> Ontology:
    """Load and validate an ontology YAML (the bundled default when `path` is None). A file
    with `extends: default` adds its types to the default's (same name = replaced)."""
    default = resource_dir("ontology") / "default.yaml"
    file = Path(path) if path else default
    data = _read_yaml(file)
    if isinstance(data, dict) and data.get("extends") == "default":
        data = _extend(_read_yaml(default), data)
    try:
        return Ontology.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'ontology'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid ontology {file}: {detail}") from exc

"""Named Cypher statements, loaded from the shipped `cypher/` folder.

Each file declares its parameters in a `// params:` header; `Query.bind` refuses a call whose
parameters differ, so a typo fails loudly instead of silently matching nothing. Relationship
types and labels, which cannot be parameters on every engine, are substituted for the
placeholders `__TYPE__` / `__LABEL__` only after passing the strict name check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..errors import InvalidNameError
from ..ontology import LABEL_NAME, RELATION_NAME
from ..resources import resource_dir

_PARAMS_LINE = re.compile(r"^//\s*params:\s*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Query:
    """One statement from `cypher/<name>.cypher`."""

    name: str
    text: str
    params: frozenset[str]

    def render(self, *, rel_type: str | None = None, label: str | None = None) -> str:
        """The statement with its placeholders replaced by checked names."""
        text = self.text
        if "__TYPE__" in text:
            if rel_type is None or not RELATION_NAME.match(rel_type):
                raise InvalidNameError(f"{self.name}: unsafe relationship type {rel_type!r}")
            text = text.replace("__TYPE__", rel_type)
        if "__LABEL__" in text:
            if label is None or not LABEL_NAME.match(label):
                raise InvalidNameError(f"{self.name}: unsafe label {label!r}")
            text = text.replace("__LABEL__", label)
        return text

    def check_params(self, given: dict[str, Any]) -> None:
        """Raise if the caller's parameters are not exactly the declared ones."""
        names = set(given)
        if names != self.params:
            missing, extra = sorted(self.params - names), sorted(names - self.params)
            raise TypeError(
                f"cypher/{self.name}.cypher: missing params {missing}, unexpected {extra}"
            )


@cache
def load(name: str) -> Query:
    """Load `cypher/<name>.cypher` (name may contain a sub-folder, e.g. 'schema/entity_id')."""
    path = resource_dir("cypher") / f"{name}.cypher"
    text = path.read_text(encoding="utf-8")
    match = _PARAMS_LINE.search(text)
    if match is None:
        raise ValueError(f"{path}: missing the '// params:' header line")
    declared = match.group(1).strip()
    params = (
        frozenset()
        if declared == "none"
        else frozenset(p.strip() for p in declared.split(",") if p.strip())
    )
    return Query(name=name, text=text, params=params)


def prepare(name: str, params: dict[str, Any], *, rel_type: str | None, label: str | None) -> str:
    """The checked text of `cypher/<name>.cypher` for these parameters, type and label."""
    query = load(name)
    query.check_params(params)
    return query.render(rel_type=rel_type, label=label)


def row(record: Any) -> dict[str, Any]:
    """A named statement's record (a `neo4j.Record`) as a dict. Named statements return only
    values, lists and maps (never nodes), so the driver's recursive `Record.data()`
    conversion, a third of a search's time, is skipped."""
    return dict(zip(record.keys(), record.values(), strict=True))

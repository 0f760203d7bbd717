"""Named Cypher statements, loaded from the shipped `cypher/` folder.

Each file declares its parameters in a `// params:` header; `Statement.check_params` refuses a
call whose parameters differ, so a typo fails loudly instead of silently matching nothing.
Relationship types and labels, which cannot be parameters on every engine, are substituted for
the placeholders `__TYPE__` / `__LABEL__` only after passing the strict name check.

Two ways a statement's text is shared or specialised, both resolved when it is loaded:

* `{{ part(var) }}` includes `cypher/parts/<part>.cypher` with `__VAR__` replaced by the
  variable `var` (one fact projection for every statement that returns facts).
* An engine variant `cypher/<engine>/<name>.cypher` replaces `cypher/<name>.cypher` on that
  engine (ArcadeDB writes its `EntityVector` mirror in the entity statements' variants); it must
  declare the same parameters.

A name ending in `.cypher` is a path to a statement outside the package (the benchmarks' bulk
loaders); its engine variants are looked up beside it in the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import InvalidNameError
from ..ontology import LABEL_NAME, RELATION_NAME
from ..resources import resource_dir

_PARAMS_LINE = re.compile(r"^//\s*params:\s*(.*)$", re.MULTILINE)
_INCLUDE = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\(([A-Za-z_][A-Za-z0-9_]*)\)\s*\}\}")
PARTS = "parts"


@dataclass(frozen=True)
class Statement:
    """One statement from `cypher/<name>.cypher` (parts included, engine variant chosen)."""

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
            raise TypeError(f"{self.name}.cypher: missing params {missing}, unexpected {extra}")


def statement_path(name: str, engine: str | None = None) -> Path:
    """The file a statement is read from: the engine's variant if there is one."""
    base = Path(name) if name.endswith(".cypher") else resource_dir("cypher") / f"{name}.cypher"
    if engine is not None:
        variant = base.parent / engine / base.name
        if variant.is_file():
            return variant
    return base


@cache
def load(name: str, engine: str | None = None) -> Statement:
    """Load `cypher/<name>.cypher` (name may contain a sub-folder, e.g. 'schema/entity_id'),
    or its variant for `engine` ("neo4j", "arcadedb")."""
    path = statement_path(name, engine)
    text = include_parts(path.read_text(encoding="utf-8"), resource_dir("cypher") / PARTS)
    params = declared_params(text, path)
    if path != statement_path(name):
        base = load(name)
        if base.params != params:
            raise ValueError(f"{path}: declares {sorted(params)}, {name} {sorted(base.params)}")
    return Statement(name=name.removesuffix(".cypher"), text=text, params=params)


def declared_params(text: str, path: Path | str) -> frozenset[str]:
    """The parameters a statement's `// params:` header declares."""
    match = _PARAMS_LINE.search(text)
    if match is None:
        raise ValueError(f"{path}: missing the '// params:' header line")
    declared = match.group(1).strip()
    if declared == "none":
        return frozenset()
    return frozenset(p.strip() for p in declared.split(",") if p.strip())


def include_parts(text: str, parts: Path) -> str:
    """`text` with every `{{ part(var) }}` replaced by `parts/<part>.cypher` for `var`.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "ends.cypher").write_text("// a part\\n__VAR__.a, __VAR__.b\\n")
    >>> include_parts("RETURN {{ ends(x) }}", folder)
    'RETURN x.a, x.b'
    """

    def part(match: re.Match[str]) -> str:
        source = (parts / f"{match.group(1)}.cypher").read_text(encoding="utf-8")
        body = "\n".join(line for line in source.splitlines() if not line.startswith("//"))
        return body.strip().replace("__VAR__", match.group(2))

    return _INCLUDE.sub(part, text)


def prepare(
    name: str,
    params: dict[str, Any],
    *,
    rel_type: str | None,
    label: str | None,
    engine: str | None = None,
) -> str:
    """The checked text of `cypher/<name>.cypher` (or its `engine` variant) for these
    parameters, type and label."""
    statement = load(name, engine)
    statement.check_params(params)
    return statement.render(rel_type=rel_type, label=label)


def row(record: Any) -> dict[str, Any]:
    """A named statement's record (a `neo4j.Record`) as a dict. Named statements return only
    values, lists and maps (never nodes), so the driver's recursive `Record.data()`
    conversion, a third of a search's time, is skipped."""
    return dict(zip(record.keys(), record.values(), strict=True))

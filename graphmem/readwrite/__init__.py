"""The formats an export document is written in, one module each (as networkx's `readwrite`):

* `jsonfile`: JSON, lossless, the default; `graphmem.transfer.import_` reads it back.
* `graphml`: GraphML, lossless too (list and time properties are typed in a graph attribute).
* `cypher_script`: a Cypher script to load into Neo4j (export only).
* `values`: the encoding of store values (times) that every format shares.

`write` and `read` pick the format; `graphmem.transfer` builds and checks the document.

>>> format_for("memory.cql", None), format_for(None, None)
('cypher', 'json')
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .cypher_script import to_cypher
from .graphml import from_graphml, is_graphml, to_graphml
from .jsonfile import from_json, to_json

FORMATS = ("json", "graphml", "cypher")
_WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "json": to_json,
    "graphml": to_graphml,
    "cypher": to_cypher,
}
_SUFFIXES = {"graphml": "graphml", "cypher": "cypher", "cql": "cypher"}


def format_for(path: str | Path | None, fmt: str | None) -> str:
    """`fmt` if it is one of `FORMATS`; None means: from the file's extension, else json."""
    if fmt is None:
        suffix = Path(path).suffix.lower().lstrip(".") if path is not None else ""
        fmt = _SUFFIXES.get(suffix, "json")
    if fmt not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt


def write(doc: dict[str, Any], path: Path, fmt: str) -> None:
    """Write an export document to `path` as `fmt` (one of `FORMATS`); a file that cannot be
    written is a `ValidationError`."""
    text = _WRITERS[fmt](doc)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc}") from exc


def read(path: Path) -> dict[str, Any]:
    """Read an export file written as JSON or GraphML (told apart by its content)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc
    if is_graphml(text):
        return from_graphml(text)
    try:
        doc = from_json(text)
    except ValueError as exc:
        raise ValidationError(f"{path} is neither JSON nor GraphML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValidationError(f"{path}: not a graphmem export")
    return doc

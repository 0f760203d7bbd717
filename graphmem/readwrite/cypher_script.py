"""The Cypher script format (export only): a script that loads the export into Neo4j with
cypher-shell or Neo4j Browser.

Its statements come from `cypher/`: graphmem's schema (`cypher/schema/`), then the templates
in `cypher/export/`, each an `UNWIND $rows AS row ...` statement. A script carries no
parameters, so each batch is written as a literal list in place of `$rows`, every value by
`cypher_literal`; labels and relationship types pass the strict name checks first. Like
`graphmem.transfer.import_`, the script keeps the `memory_types` a fact version it replaces
carries (internal, never exported; see `graphmem.facts`) and ends by adding the types of the
memories whose versions in the export have other types than their id names.

>>> cypher_literal("it's")
"'it\\\\'s'"
>>> cypher_map({"name": "Ana", "odd key": [1, 2.5]})
"{name: 'Ana', `odd key`: [1, 2.5]}"
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from typing import Any

from ..checks import check_int
from ..errors import InvalidNameError, ValidationError
from ..facts import MEMORY_TYPES, memory_type, other_types
from ..ontology import LABEL_NAME, RELATION_NAME, RESERVED_LABELS
from ..store.queries import load

# Schema statements the script starts with (plain Cypher that Neo4j and ArcadeDB accept).
SCHEMA = (
    "schema/entity_id_unique",
    "schema/entity_owner_index",
    "schema/entity_owner_key_unique",
    "schema/episode_id_unique",
    "schema/episode_owner_index",
    "schema/feedback_id_unique",
    "schema/feedback_owner_index",
    "schema/feedback_memory_index",
)
ENTITIES = "export/script_entities"
EPISODES = "export/script_episodes"
FEEDBACK = "export/script_feedback"
FACTS = "export/script_facts"
EPISODE_LINKS = "export/script_episode_links"
KEPT_TYPES = "export/script_memory_types"
_ROWS = "$rows"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def to_cypher(doc: dict[str, Any], batch: int = 100) -> str:
    """A Cypher script that loads the export into Neo4j (cypher-shell -f, or Neo4j Browser):
    graphmem's constraints, then MERGE by id in UNWIND batches of `batch` rows. Each statement
    ends with ';' at the end of a line, and no literal spans lines."""
    return "".join(s + ";\n" for s in cypher_statements(doc, batch))


def cypher_statements(doc: dict[str, Any], batch: int = 100) -> Iterator[str]:
    """The statements of `to_cypher`, one string each (without the ';')."""
    check_int("batch", batch, 1)
    scope = doc.get("scope", {})
    yield (
        f"// graphmem export of {str(scope.get('owner'))!r}, {doc.get('exported_at')}: "
        f"{len(doc['nodes'])} nodes, {len(doc['relationships'])} relationships.\n"
        "// Load with `cypher-shell -f FILE` or paste into Neo4j Browser.\n"
        "// params: none\n" + _body(SCHEMA[0])
    )
    for name in SCHEMA[1:]:
        yield _body(name)
    for template, groups in _groups(doc):
        for name, rows in sorted(groups.items()):
            head, tail = _template(template, name)
            for start in range(0, len(rows), batch):
                yield head + "[\n" + ",\n".join(rows[start : start + batch]) + "\n]" + tail


def _groups(doc: dict[str, Any]) -> list[tuple[str, dict[str, list[str]]]]:
    """The rows of the script as literals, per template and checked label or type."""
    by_label: dict[str, list[str]] = defaultdict(list)
    episodes: list[str] = []
    feedback: list[str] = []
    kinds: dict[str, str] = {}
    for n in doc["nodes"]:
        row = f"{{id: {cypher_literal(n['id'])}, props: {cypher_map(n['properties'])}}}"
        if n["labels"] == ["Episode"]:
            episodes.append(row)
            kinds[n["id"]] = "Episode"
        elif n["labels"] == ["Feedback"]:
            feedback.append(row)
            kinds[n["id"]] = "Feedback"
        else:
            by_label[_checked_label(n["labels"])].append(row)
            kinds[n["id"]] = "Entity"
    facts: dict[str, list[str]] = defaultdict(list)
    links: dict[str, list[str]] = defaultdict(list)
    versions: list[tuple[str, str]] = []
    for r in doc["relationships"]:
        rel_type = r["type"]
        if not isinstance(rel_type, str) or not RELATION_NAME.match(rel_type):
            raise InvalidNameError(f"{rel_type!r} is not a valid relationship type")
        props = {k: v for k, v in r["properties"].items() if k != MEMORY_TYPES}
        row = (
            f"{{start: {cypher_literal(r['start'])}, end: {cypher_literal(r['end'])}, "
            f"props: {cypher_map(props)}}}"
        )
        if kinds.get(r["start"]) == "Episode":
            links[rel_type].append(row)
        else:
            facts[rel_type].append(row)
            versions.append((str(props.get("memory_id")), rel_type))
    kept: dict[str, list[str]] = defaultdict(list)
    for memory_id, types in sorted(other_types(versions).items()):
        first = memory_type(memory_id)
        assert first is not None  # other_types lists typed ids only
        kept[first].append(
            f"{{memory_id: {cypher_literal(memory_id)}, add: {cypher_literal(types)}}}"
        )
    return [
        (ENTITIES, by_label),
        (EPISODES, {"": episodes}),
        (FACTS, facts),
        (EPISODE_LINKS, links),
        (KEPT_TYPES, kept),
        (FEEDBACK, {"": feedback}),
    ]


def _body(name: str) -> str:
    """The statement `cypher/<name>.cypher` without its comment lines."""
    text = load(name).text
    return "\n".join(line for line in text.splitlines() if not line.startswith("//")).strip()


@cache
def _template(name: str, checked: str) -> tuple[str, str]:
    """The text of template `name` before and after its one `$rows`, with the checked label
    or relationship type in place of `__LABEL__` / `__TYPE__`."""
    parts = _body(name).replace("__LABEL__", checked).replace("__TYPE__", checked).split(_ROWS)
    if len(parts) != 2:
        raise ValueError(f"cypher/{name}.cypher must use {_ROWS} exactly once")
    return parts[0], parts[1]


def _checked_label(labels: list[str]) -> str:
    if len(labels) != 2 or labels[0] != "Entity":
        raise ValidationError(
            f"labels must be ['Entity', <type>], ['Episode'] or ['Feedback'], got {labels!r}"
        )
    label = labels[1]
    if not LABEL_NAME.match(label) or label in RESERVED_LABELS:
        raise InvalidNameError(f"{label!r} is not a valid entity label")
    return label


def cypher_literal(value: Any) -> str:
    """A Cypher literal for an exported value (strings escaped, times as datetime('...'))."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{value} has no Cypher literal")
        return repr(value)
    if isinstance(value, str):
        return "'" + "".join(_escape(c) for c in value) + "'"
    if isinstance(value, list):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, dict) and set(value) == {"$datetime"}:
        return f"datetime({cypher_literal(value['$datetime'])})"
    if isinstance(value, dict) and set(value) == {"$date"}:
        return f"date({cypher_literal(value['$date'])})"
    raise ValidationError(f"no Cypher literal for {value!r}")


def cypher_map(props: dict[str, Any]) -> str:
    """A Cypher map literal; keys that are not plain identifiers are backquoted."""
    return "{" + ", ".join(f"{_cypher_key(k)}: {cypher_literal(v)}" for k, v in props.items()) + "}"


def _cypher_key(key: str) -> str:
    return key if _KEY.match(key) else "`" + key.replace("`", "``") + "`"


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
        return f"\\u{code:04x}"
    return char

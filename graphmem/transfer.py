"""Export and import a scope's graph: entities, episodes, every fact version, MENTIONS links.

The export is a plain document (nodes with labels and properties, relationships with type,
ends and properties) carried generically, so properties added later travel too. It is written
as JSON (lossless, the format `import_` reads back), GraphML (lossless too: lists and
datetimes are typed in a graph attribute) or a Cypher script to load into Neo4j with
cypher-shell or Neo4j Browser.

>>> cypher_literal("it's")
"'it\\\\'s'"
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx

from .context import Context
from .effects import Steps, TxSteps, compute, read, run, write
from .errors import InvalidNameError, ValidationError
from .ontology import LABEL_NAME, RELATION_NAME, RESERVED_LABELS
from .resources import resource_dir
from .scope import Scope
from .times import now_iso

FORMAT = "graphmem-export"
FORMAT_VERSION = 1
FORMATS = ("json", "graphml", "cypher")
_PAGE = 500
_BATCH = 500
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Schema statements the Cypher script starts with (plain Cypher that Neo4j and ArcadeDB accept).
_SCRIPT_SCHEMA = (
    "schema/entity_id_unique",
    "schema/entity_owner_index",
    "schema/entity_owner_key_unique",
    "schema/episode_id_unique",
    "schema/episode_owner_index",
)


# -- export -------------------------------------------------------------------------------------


def export(
    ctx: Context,
    path: str | Path | None = None,
    *,
    format: str | None = None,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    include_embeddings: bool = True,
) -> Steps[dict[str, Any]]:
    """Export a scope with its full version history.

    Without `path`, returns the export document (a JSON-serializable dict). With `path`, writes
    it as `format` ('json', 'graphml' or 'cypher'; default from the file's extension, else
    json) and returns a summary. The entities of the owner are exported whole; `agent_id` /
    `run_id` narrow the episodes and fact versions.
    """
    scope = Scope.of(user_id, agent_id, run_id)
    fmt = _format(path, format)
    nodes: list[dict[str, Any]] = []
    after = ""
    while True:
        rows = yield from read("export_entities", owner=scope.owner, after=after, limit=_PAGE)
        nodes += [_node(r, include_embeddings) for r in rows]
        if len(rows) < _PAGE:
            break
        after = rows[-1]["id"]
    rels: list[dict[str, Any]] = []
    after = ""
    while True:
        rows = yield from read("export_episodes", after=after, limit=_PAGE, **scope.narrow())
        nodes += [_node(r, include_embeddings) for r in rows]
        if rows:
            links = yield from read("export_episode_links", episode_ids=[r["id"] for r in rows])
            rels += [_rel(r, include_embeddings) for r in links]
        if len(rows) < _PAGE:
            break
        after = rows[-1]["id"]
    after = ""
    while True:
        rows = yield from read("export_facts", after=after, limit=_PAGE, **scope.narrow())
        rels += [_rel(r, include_embeddings) for r in rows]
        if len(rows) < _PAGE:
            break
        after = rows[-1]["id"]
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": now_iso(),
        "scope": {**scope.ids(), "owner": scope.owner},
        "embedder": {"name": ctx.embedder.name, "dimensions": ctx.embedder.dimensions},
        "nodes": nodes,
        "relationships": rels,
    }
    if path is None:
        return doc
    yield from compute(write_export, doc, Path(path), fmt)
    entity_ids = {n["id"] for n in nodes if "Entity" in n["labels"]}
    return {
        "path": str(path),
        "format": fmt,
        "nodes": len(nodes),
        "relationships": len(rels),
        "facts": sum(1 for r in rels if r["start"] in entity_ids),
    }


def write_export(doc: dict[str, Any], path: Path, fmt: str) -> None:
    """Write an export document as json, graphml or cypher."""
    if fmt == "json":
        text = json.dumps(doc, ensure_ascii=False, indent=1)
    elif fmt == "graphml":
        text = to_graphml(doc)
    else:
        text = to_cypher(doc)
    path.write_text(text, encoding="utf-8")


def _format(path: str | Path | None, fmt: str | None) -> str:
    if fmt is None:
        suffix = Path(path).suffix.lower().lstrip(".") if path is not None else ""
        fmt = {"graphml": "graphml", "cypher": "cypher", "cql": "cypher"}.get(suffix, "json")
    if fmt not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt


def _props(props: dict[str, Any], include_embeddings: bool) -> dict[str, Any]:
    return {
        k: encode_value(v, k)
        for k, v in sorted(props.items())
        if include_embeddings or k != "embedding"
    }


def _node(row: dict[str, Any], include_embeddings: bool) -> dict[str, Any]:
    return {
        "id": row["id"],
        "labels": sorted(row["labels"], key=lambda x: (x not in RESERVED_LABELS, x)),
        "properties": _props(row["props"], include_embeddings),
    }


def _rel(row: dict[str, Any], include_embeddings: bool) -> dict[str, Any]:
    return {
        "type": row["type"],
        "start": row["start"],
        "end": row["end"],
        "properties": _props(row["props"], include_embeddings),
    }


# -- values ---------------------------------------------------------------------------------------


def encode_value(value: Any, key: str = "value") -> Any:
    """A store value as JSON: datetimes become {"$datetime": iso}, dates {"$date": iso}."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"property {key!r}: {value} cannot be exported")
        return value
    if isinstance(value, list | tuple):
        return [encode_value(v, key) for v in value]
    native = value.to_native() if hasattr(value, "to_native") else value
    if isinstance(native, datetime):
        if native.tzinfo is None:
            native = native.replace(tzinfo=timezone.utc)
        return {"$datetime": native.astimezone(timezone.utc).isoformat()}
    if isinstance(native, date):
        return {"$date": native.isoformat()}
    raise ValidationError(f"property {key!r}: cannot export a {type(value).__name__}")


def decode_value(value: Any, key: str = "value") -> Any:
    """The inverse of `encode_value`: a value ready to be sent to the store as a parameter."""
    if isinstance(value, list):
        return [decode_value(v, key) for v in value]
    if isinstance(value, dict):
        try:
            if set(value) == {"$datetime"}:
                dt = datetime.fromisoformat(value["$datetime"].replace("Z", "+00:00"))
                return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
            if set(value) == {"$date"}:
                return date.fromisoformat(value["$date"])
        except (AttributeError, ValueError) as exc:
            raise ValidationError(f"property {key!r}: bad time value {value!r}") from exc
        raise ValidationError(f"property {key!r}: maps cannot be stored as properties")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValidationError(f"property {key!r}: unsupported value {value!r}")


# -- import ---------------------------------------------------------------------------------------


def import_(ctx: Context, source: str | Path | dict[str, Any]) -> Steps[dict[str, Any]]:
    """Load an export (a JSON or GraphML file, or the document) into the store.

    Everything is validated before anything is written: labels must be valid entity types,
    relationship types must pass the strict name check, every relationship must join nodes of
    the file, embeddings must have the configured size. Nodes and facts are merged by id, so
    importing the same file twice gives the same graph.
    """
    doc = source if isinstance(source, dict) else (yield from compute(read_export, Path(source)))
    plan = _plan(ctx, doc)
    counts = {
        "entities": (yield from _write_groups(_import_entities, plan.entities, "label")),
        "episodes": (yield from _write_groups("import_episodes", {"": plan.episodes}, None)),
        "facts": (yield from _write_groups("import_facts", plan.facts, "rel_type")),
        "links": (yield from _write_groups("import_episode_links", plan.links, "rel_type")),
    }
    return {"message": "import complete", "imported": counts, "scope": doc.get("scope")}


def _write_groups(
    statement: str | Callable[..., TxSteps[Any]],
    groups: dict[str, list[dict[str, Any]]],
    name_param: str | None,
) -> Steps[int]:
    """Write rows grouped by label or relationship type, one transaction per batch, with a
    named statement or a transaction function of `rows` (and the label or type)."""
    steps = partial(run, statement) if isinstance(statement, str) else statement
    total = 0
    for name, rows in sorted(groups.items()):
        checked = {name_param: name} if name_param else {}
        for batch in _batches(rows):
            yield from write(partial(steps, rows=batch, **checked))
            total += len(batch)
    return total


def _import_entities(*, rows: list[dict[str, Any]], label: str) -> TxSteps[Any]:
    """Import entities and, in the same transaction, their vector mirrors (ArcadeDB)."""
    yield from run("import_entities", rows=rows, label=label)
    yield from run("arcadedb/entity_vector_mirror", ids=[row["id"] for row in rows])


class _Plan:
    def __init__(self) -> None:
        self.entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.episodes: list[dict[str, Any]] = []
        self.facts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.links: dict[str, list[dict[str, Any]]] = defaultdict(list)


def _plan(ctx: Context, doc: Any) -> _Plan:
    """Validate a whole export document and group its rows by label and type."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValidationError(f"not a graphmem export (expected format {FORMAT!r})")
    if doc.get("version") != FORMAT_VERSION:
        raise ValidationError(f"unsupported export version {doc.get('version')!r}")
    nodes, rels = doc.get("nodes"), doc.get("relationships")
    if not isinstance(nodes, list) or not isinstance(rels, list):
        raise ValidationError("an export needs 'nodes' and 'relationships' lists")
    dims = ctx.embedder.dimensions
    plan, kinds = _Plan(), dict[str, str]()
    for i, node in enumerate(nodes):
        where = f"nodes[{i}]"
        node_id, props = _id_and_props(node, where)
        labels = node.get("labels")
        if labels == ["Episode"]:
            plan.episodes.append({"id": node_id, **props})
            kinds[node_id] = "Episode"
        elif isinstance(labels, list) and len(labels) == 2 and labels[0] == "Entity":
            label = labels[1]
            if not isinstance(label, str) or not LABEL_NAME.match(label):
                raise InvalidNameError(f"{where}: {label!r} is not a valid entity label")
            if ctx.ontology.entity_label(label) != label:
                raise InvalidNameError(f"{where}: {label!r} is not a valid entity type")
            plan.entities[label].append({"id": node_id, **props})
            kinds[node_id] = "Entity"
        else:
            raise ValidationError(
                f"{where}: labels must be ['Episode'] or ['Entity', <type>], got {labels!r}"
            )
        vector = props["props"].get("embedding")
        if vector is not None and (not isinstance(vector, list) or len(vector) != dims):
            raise ValidationError(
                f"{where}: embedding has {len(vector) if isinstance(vector, list) else '?'} "
                f"dimensions but this store's embedder makes {dims}"
            )
    if len(kinds) != len(nodes):
        raise ValidationError("the export holds two nodes with the same id")
    for i, rel in enumerate(rels):
        where = f"relationships[{i}]"
        if not isinstance(rel, dict):
            raise ValidationError(f"{where}: expected an object")
        rel_type = rel.get("type")
        if not isinstance(rel_type, str) or not RELATION_NAME.match(rel_type):
            raise InvalidNameError(f"{where}: {rel_type!r} is not a valid relationship type")
        start, end = str(rel.get("start")), str(rel.get("end"))
        if kinds.get(end) != "Entity" or kinds.get(start) not in ("Entity", "Episode"):
            raise ValidationError(
                f"{where}: start {start!r} / end {end!r} are not nodes of the file"
            )
        values = _decoded(rel.get("properties"), where)
        props = values["props"]
        row = {"start": start, "end": end, **values}
        if kinds[start] == "Entity":
            if not isinstance(props.get("id"), str) or not props["id"]:
                raise ValidationError(f"{where}: a fact version needs a string 'id' property")
            vector = props.get("embedding")
            if vector is not None and (not isinstance(vector, list) or len(vector) != dims):
                raise ValidationError(f"{where}: embedding size differs from this store's ({dims})")
            plan.facts[rel_type].append({**row, "id": props["id"]})
        else:
            plan.links[rel_type].append(row)
    return plan


def _id_and_props(node: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(node, dict):
        raise ValidationError(f"{where}: expected an object")
    values = _decoded(node.get("properties"), where)
    node_id = node.get("id")
    if not isinstance(node_id, str) or not node_id or values["props"].get("id") != node_id:
        raise ValidationError(f"{where}: needs a string 'id' equal to its 'id' property")
    if not isinstance(values["props"].get("owner"), str):
        raise ValidationError(f"{where}: needs an 'owner' property")
    return node_id, values


def _decoded(props: Any, where: str) -> dict[str, Any]:
    """Validated properties as store parameters: plain values in `props`, and time values
    (which only Cypher's datetime()/date() store faithfully on every engine) in `times`."""
    if not isinstance(props, dict):
        raise ValidationError(f"{where}: 'properties' must be an object")
    plain: dict[str, Any] = {}
    times: list[dict[str, str]] = []
    for key, value in props.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(f"{where}: property names must be non-empty strings")
        decoded = decode_value(value, f"{where}.{key}")
        if isinstance(decoded, date):
            kind = "datetime" if isinstance(decoded, datetime) else "date"
            times.append({"key": key, "kind": kind, "value": decoded.isoformat()})
        elif isinstance(decoded, list) and any(isinstance(v, date) for v in decoded):
            raise ValidationError(f"{where}.{key}: lists of times cannot be imported")
        else:
            plain[key] = decoded
    return {"props": plain, "times": times}


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]


def read_export(path: Path) -> dict[str, Any]:
    """Read an export file written as JSON or GraphML (by its content)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc
    if text.lstrip().startswith("<"):
        return from_graphml(text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path} is neither JSON nor GraphML: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValidationError(f"{path}: not a graphmem export")
    return doc


# -- GraphML --------------------------------------------------------------------------------------

_SCALARS = {str: "str", bool: "bool", int: "int", float: "float"}
_NOT_XML = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_graphml(doc: dict[str, Any]) -> str:
    """The export as GraphML. Node attribute `labels` (':Entity:Person') and edge attribute
    `label` (the relationship type) follow Neo4j's APOC export; list and time values are
    written as JSON text, and the graph attribute `graphmem` records which ones they are."""
    encodings = {
        "node": _encodings(n["properties"] for n in doc["nodes"]),
        "edge": _encodings(r["properties"] for r in doc["relationships"]),
    }
    header = {k: v for k, v in doc.items() if k not in ("nodes", "relationships")}
    graph = nx.MultiDiGraph(graphmem=json.dumps({**header, "encodings": encodings}))
    for n in doc["nodes"]:
        if "labels" in n["properties"]:
            raise ValidationError("a node property named 'labels' cannot be written as GraphML")
        attrs = _graphml_attrs(n["properties"], encodings["node"])
        graph.add_node(n["id"], labels=":" + ":".join(n["labels"]), **attrs)
    for i, r in enumerate(doc["relationships"]):
        if "label" in r["properties"]:
            raise ValidationError("a relationship property 'label' cannot be written as GraphML")
        attrs = _graphml_attrs(r["properties"], encodings["edge"])
        graph.add_edge(r["start"], r["end"], key=f"e{i}", label=r["type"], **attrs)
    out = io.BytesIO()
    nx.write_graphml(graph, out, encoding="utf-8")
    return out.getvalue().decode("utf-8")


def _encodings(all_props: Iterator[dict[str, Any]]) -> dict[str, str]:
    kinds: dict[str, set[str]] = defaultdict(set)
    for props in all_props:
        for key, value in props.items():
            if value is None:
                continue
            if isinstance(value, dict) and set(value) == {"$datetime"}:
                kinds[key].add("datetime")
            elif isinstance(value, str) and _NOT_XML.search(value):
                kinds[key].add("json")  # XML cannot carry it (control chars; \r is normalized)
            else:
                kinds[key].add(_SCALARS.get(type(value), "json"))
    return {k: next(iter(v)) if len(v) == 1 else "json" for k, v in sorted(kinds.items())}


def _graphml_attrs(props: dict[str, Any], encodings: dict[str, str]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, value in props.items():
        if value is None:
            continue
        kind = encodings[key]
        if kind == "datetime":
            attrs[key] = value["$datetime"]
        elif kind == "json":
            attrs[key] = json.dumps(value)
        else:
            attrs[key] = value
    return attrs


def from_graphml(text: str) -> dict[str, Any]:
    """Read a GraphML export written by `to_graphml` back into an export document."""
    try:
        graph = nx.read_graphml(io.BytesIO(text.encode("utf-8")), force_multigraph=True)
        header = json.loads(graph.graph["graphmem"])
    except Exception as exc:
        raise ValidationError(f"not a graphmem GraphML export: {exc}") from exc
    encodings = header.pop("encodings")

    def props(attrs: dict[str, Any], domain: str, skip: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in attrs.items():
            if key == skip:
                continue
            kind = encodings[domain].get(key, "str")
            if kind == "datetime":
                out[key] = {"$datetime": value}
            elif kind == "json":
                out[key] = json.loads(value)
            elif kind == "float":
                out[key] = float(value)
            else:
                out[key] = value
        return dict(sorted(out.items()))

    nodes = [
        {
            "id": node_id,
            "labels": [x for x in attrs.get("labels", "").split(":") if x],
            "properties": props(attrs, "node", "labels"),
        }
        for node_id, attrs in graph.nodes(data=True)
    ]
    rels = [
        {"type": attrs["label"], "start": s, "end": o, "properties": props(attrs, "edge", "label")}
        for s, o, attrs in graph.edges(data=True)
    ]
    return {**header, "nodes": nodes, "relationships": rels}


# -- Cypher script --------------------------------------------------------------------------------


def to_cypher(doc: dict[str, Any], batch: int = 100) -> str:
    """A Cypher script that loads the export into Neo4j (cypher-shell -f, or Neo4j Browser):
    graphmem's constraints, then MERGE by id in UNWIND batches. Every value is a literal
    written by `cypher_literal`; labels and relationship types pass the strict name checks.
    Each statement ends with ';' at the end of a line, and no literal spans lines."""
    return "".join(s + ";\n" for s in cypher_statements(doc, batch))


def cypher_statements(doc: dict[str, Any], batch: int = 100) -> Iterator[str]:
    """The statements of `to_cypher`, one string each (without the ';')."""
    scope = doc.get("scope", {})
    yield (
        f"// graphmem export of {str(scope.get('owner'))!r}, {doc.get('exported_at')}: "
        f"{len(doc['nodes'])} nodes, {len(doc['relationships'])} relationships.\n"
        "// Load with `cypher-shell -f FILE` or paste into Neo4j Browser.\n"
        "// params: none\n" + _schema_statement(_SCRIPT_SCHEMA[0])
    )
    for name in _SCRIPT_SCHEMA[1:]:
        yield _schema_statement(name)
    by_label: dict[str, list[str]] = defaultdict(list)
    episodes: list[str] = []
    kinds: dict[str, str] = {}
    for n in doc["nodes"]:
        row = f"{{id: {cypher_literal(n['id'])}, props: {cypher_map(n['properties'])}}}"
        if n["labels"] == ["Episode"]:
            episodes.append(row)
            kinds[n["id"]] = "Episode"
        else:
            by_label[_checked_label(n["labels"])].append(row)
            kinds[n["id"]] = "Entity"
    for label, rows in sorted(by_label.items()):
        for chunk in _chunks(rows, batch):
            yield _unwind(chunk, f"MERGE (n:Entity:{label} {{id: row.id}})\nSET n = row.props")
    for chunk in _chunks(episodes, batch):
        yield _unwind(chunk, "MERGE (e:Episode {id: row.id})\nSET e = row.props")
    facts: dict[str, list[str]] = defaultdict(list)
    links: dict[str, list[str]] = defaultdict(list)
    for r in doc["relationships"]:
        rel_type = r["type"]
        if not isinstance(rel_type, str) or not RELATION_NAME.match(rel_type):
            raise InvalidNameError(f"{rel_type!r} is not a valid relationship type")
        row = (
            f"{{start: {cypher_literal(r['start'])}, end: {cypher_literal(r['end'])}, "
            f"props: {cypher_map(r['properties'])}}}"
        )
        (links if kinds.get(r["start"]) == "Episode" else facts)[rel_type].append(row)
    for rel_type, rows in sorted(facts.items()):
        for chunk in _chunks(rows, batch):
            yield _unwind(
                chunk,
                "MATCH (s:Entity {id: row.start})\nMATCH (o:Entity {id: row.end})\n"
                f"MERGE (s)-[r:{rel_type} {{id: row.props.id}}]->(o)\nSET r = row.props",
            )
    for rel_type, rows in sorted(links.items()):
        for chunk in _chunks(rows, batch):
            yield _unwind(
                chunk,
                "MATCH (e:Episode {id: row.start})\nMATCH (n:Entity {id: row.end})\n"
                f"MERGE (e)-[r:{rel_type}]->(n)\nSET r = row.props",
            )


def _schema_statement(name: str) -> str:
    text = (resource_dir("cypher") / f"{name}.cypher").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("//")).strip()


def _checked_label(labels: list[str]) -> str:
    if len(labels) != 2 or labels[0] != "Entity":
        raise ValidationError(f"labels must be ['Entity', <type>] or ['Episode'], got {labels!r}")
    label = labels[1]
    if not LABEL_NAME.match(label) or label in RESERVED_LABELS:
        raise InvalidNameError(f"{label!r} is not a valid entity label")
    return label


def _chunks(rows: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _unwind(rows: list[str], body: str) -> str:
    return "UNWIND [\n" + ",\n".join(rows) + "\n] AS row\n" + body


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

"""Export and import a scope's graph: entities, episodes, every fact version, MENTIONS links,
feedback records.

The export is a plain document (nodes with labels and properties, relationships with type,
ends and properties) carried generically, so properties added later travel too; internal ones
do not (a fact version's `memory_types`, see `graphmem.facts`: an import keeps what the store
holds and adds what the versions it loads need). `export` builds it from the store and
`import_` checks a whole document before writing it back; the formats it is written in (JSON,
GraphML, a Cypher script) live in `graphmem.readwrite`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from . import readwrite
from .checks import check_path
from .context import Context
from .effects import Steps, TxSteps, compute, read, run, write
from .errors import InvalidNameError, ValidationError
from .facts import MEMORY_TYPES, keep_memory_types, other_types
from .ontology import LABEL_NAME, RELATION_NAME, RESERVED_LABELS
from .readwrite import FORMATS
from .readwrite.values import decode_value, encode_value
from .scope import Scope
from .times import now_iso

__all__ = ["FORMAT", "FORMATS", "FORMAT_VERSION", "export", "import_"]

FORMAT = "graphmem-export"
FORMAT_VERSION = 1
_PAGE = 500
_BATCH = 500
# Properties of fact versions that graphmem derives and keeps itself: never exported.
_INTERNAL = frozenset({MEMORY_TYPES})


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
    target = None if path is None else check_path("path", path)
    fmt = readwrite.format_for(target, format)
    entities = yield from _pages("export_entities", owner=scope.owner)
    episodes = yield from _pages("export_episodes", **scope.narrow())
    links: list[dict[str, Any]] = []
    for batch in _batches(episodes):
        links += yield from read("export_episode_links", episode_ids=[r["id"] for r in batch])
    facts = yield from _pages("export_facts", **scope.narrow())
    feedback = yield from _pages("export_feedback", **scope.narrow())
    nodes = [_node(r, include_embeddings) for r in entities + episodes + feedback]
    rels = [_rel(r, include_embeddings) for r in links + facts]
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": now_iso(),
        "scope": {**scope.ids(), "owner": scope.owner},
        "embedder": {"name": ctx.embedder.name, "dimensions": ctx.embedder.dimensions},
        "nodes": nodes,
        "relationships": rels,
    }
    if target is None:
        return doc
    yield from compute(readwrite.write, doc, target, fmt)
    entity_ids = {n["id"] for n in nodes if "Entity" in n["labels"]}
    return {
        "path": str(path),
        "format": fmt,
        "nodes": len(nodes),
        "relationships": len(rels),
        "facts": sum(1 for r in rels if r["start"] in entity_ids),
    }


def _pages(statement: str, **params: Any) -> Steps[list[dict[str, Any]]]:
    """Every row of a paged export statement, read `_PAGE` rows at a time in id order."""
    rows: list[dict[str, Any]] = []
    after = ""
    while True:
        page = yield from read(statement, after=after, limit=_PAGE, **params)
        rows += page
        if len(page) < _PAGE:
            return rows
        after = page[-1]["id"]


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
    props = {k: v for k, v in row["props"].items() if k not in _INTERNAL}
    return {
        "type": row["type"],
        "start": row["start"],
        "end": row["end"],
        "properties": _props(props, include_embeddings),
    }


# -- import ---------------------------------------------------------------------------------------


def import_(ctx: Context, source: str | Path | dict[str, Any]) -> Steps[dict[str, Any]]:
    """Load an export (a JSON or GraphML file, or the document) into the store.

    Everything is validated before anything is written: labels must be valid entity types,
    relationship types must pass the strict name check, every relationship must join nodes of
    the file, embeddings must have the configured size. Nodes and facts are merged by id, so
    importing the same file twice gives the same graph.
    """
    if isinstance(source, dict):
        doc = source
    else:
        doc = yield from compute(readwrite.read, check_path("source", source))
    plan = _plan(ctx, doc)
    counts = {
        "entities": (yield from _write_groups("import_entities", plan.entities, "label")),
        "episodes": (yield from _write_groups("import_episodes", {"": plan.episodes}, None)),
        "facts": (yield from _write_groups("import_facts", plan.facts, "rel_type")),
        "links": (yield from _write_groups("import_episode_links", plan.links, "rel_type")),
        "feedback": (yield from _write_groups("import_feedback", {"": plan.feedback}, None)),
    }
    yield from _keep_memory_types(plan.facts)
    return {"message": "import complete", "imported": counts, "scope": doc.get("scope")}


def _write_groups(
    statement: str, groups: dict[str, list[dict[str, Any]]], name_param: str | None
) -> Steps[int]:
    """Write rows grouped by label or relationship type, one transaction per batch, with a
    named statement of `rows` (and the label or type)."""
    steps = partial(run, statement)
    total = 0
    for name, rows in sorted(groups.items()):
        checked = {name_param: name} if name_param else {}
        for batch in _batches(rows):
            yield from write(partial(steps, rows=batch, **checked))
            total += len(batch)
    return total


class _Plan:
    def __init__(self) -> None:
        self.entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.episodes: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
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
        elif labels == ["Feedback"]:
            plan.feedback.append({"id": node_id, **props})
            kinds[node_id] = "Feedback"
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
                f"{where}: labels must be ['Episode'], ['Feedback'] or ['Entity', <type>], "
                f"got {labels!r}"
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
            props.pop(MEMORY_TYPES, None)  # graphmem's own (import_facts keeps the store's)
            plan.facts[rel_type].append({**row, "id": props["id"]})
        else:
            plan.links[rel_type].append(row)
    return plan


def _keep_memory_types(facts: dict[str, list[dict[str, Any]]]) -> Steps[None]:
    """After the versions are written: the memories whose versions in the document have
    types other than the one their id names get those types in `memory_types`, as a write
    keeps them (`graphmem.facts.keep_memory_types`: added to what the store holds, so a
    document with part of a memory, e.g. one run of it, takes nothing away)."""
    pairs = [
        (str(row["props"].get("memory_id")), rel_type)
        for rel_type, rows in facts.items()
        for row in rows
    ]
    changed = sorted(other_types(pairs).items())
    for start in range(0, len(changed), _BATCH):
        batch = changed[start : start + _BATCH]
        yield from write(partial(_keep_all, batch))


def _keep_all(memories: list[tuple[str, list[str]]]) -> TxSteps[None]:
    """One transaction of `_keep_memory_types`: (memory id, its other types) pairs."""
    for memory_id, types in memories:
        yield from keep_memory_types(memory_id, types)


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

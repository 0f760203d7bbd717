"""The GraphML format (`to_graphml`, `from_graphml`): lossless like JSON, and readable by
other graph tools (Gephi, yEd, networkx, Neo4j's APOC import).
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import networkx as nx

from ..errors import ValidationError

_SCALARS = {str: "str", bool: "bool", int: "int", float: "float"}
_NOT_XML = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_graphml(text: str) -> bool:
    """Whether `text` is XML (so GraphML, for an export) rather than JSON.

    >>> is_graphml('  <?xml version="1.0"?>'), is_graphml('{"nodes": []}')
    (True, False)
    """
    return text.lstrip().startswith("<")


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

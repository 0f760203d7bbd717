"""The result dicts of search and neighbors: full records, sources, paths, explanations.

Traversal reads facts light; `complete` swaps in the full records (`cypher/search_facts.cypher`)
for the results only, keeping their order and leaving out a fact deleted since it was read.
`attach_sources` gives each fact the episodes it came from (id, content, role, name,
occurred_at, metadata), which `complete(..., sources=True)` reads in the same statement
(`cite` does it for any facts: the versions of `history(..., sources=True)`);
`shape` adds each result's `path` (the edges from an entry point to it) and, with `explain`,
the score's parts. An episode result has the same keys as a fact, with
no relationship.
"""

from __future__ import annotations

import json
from typing import Any

from .. import records
from ..effects import Steps, read
from ..scope import Scope
from ..times import from_store
from .found import Found


def complete(
    scope: Scope, results: list[dict[str, Any]], *, sources: bool = False
) -> Steps[list[dict[str, Any]]]:
    """`results` with each light fact replaced by its full record (cypher/search_facts.cypher),
    in the same order; a fact deleted since it was traversed is left out. With `sources`, the
    same statement also sets each such fact's `sources` (see `attach_sources`)."""
    wanted = [
        {"id": r["version_id"], "source_id": r["source_id"], "target_id": r["target_id"]}
        for r in results
        if r.get("light")
    ]
    if not wanted:
        return results
    rows = yield from read("search_facts", facts=wanted, owner=scope.owner, sources=sources)
    full = {}
    for row in rows:
        fact = records.fact(row)
        if sources:
            fact["sources"] = _sources(fact, [episode(e) for e in row["sources"]])
        full[fact["version_id"]] = fact
    out = []
    for r in results:
        if r.get("light"):
            if r["version_id"] not in full:
                continue
            r = {k: v for k, v in r.items() if k != "light"} | full[r["version_id"]]
        out.append(r)
    return out


def attach_sources(scope: Scope, results: list[dict[str, Any]]) -> Steps[None]:
    """Set each fact result's `sources`: the episodes it came from, in its own order (read
    only for the facts that `complete(..., sources=True)` did not already give them)."""
    missing = [r for r in results if r["type"] == "fact" and "sources" not in r]
    yield from cite(scope, missing)


def cite(scope: Scope, facts: list[dict[str, Any]]) -> Steps[None]:
    """Set each of `facts`' `sources`: the episodes of the scope's owner named by its
    `episode_ids`, in that order (one statement for all of them)."""
    ids = sorted({e for f in facts for e in f.get("episode_ids") or []})
    episodes: list[dict[str, Any]] = []
    if ids:
        rows = yield from read("search_sources", ids=ids, owner=scope.owner)
        episodes = [episode(row["episode"]) for row in rows]
    for f in facts:
        f["sources"] = _sources(f, episodes)


def _sources(fact: dict[str, Any], episodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The episodes among `episodes` that taught `fact`, in the order of its `episode_ids`."""
    by_id = {e["id"]: e for e in episodes}
    return [_source(by_id[e]) for e in fact.get("episode_ids") or [] if e in by_id]


def shape(results: list[dict[str, Any]], found: Found, explain: bool) -> dict[str, Any]:
    """search's answer: ``{"results", "relations", "entities"}`` (the scored results with
    their paths, the edges those paths use, the entry points best first)."""
    used: dict[str, dict[str, Any]] = {}
    for r in results:
        parts = r.pop("_path")
        if r["type"] == "fact" and not parts:
            parts = [*found.path(r), r["version_id"]]
        path = [found.facts[v].record for v in parts if v in found.facts]
        r["path"] = [_edge(p) for p in path]
        for p in r["path"]:
            used[f"{p['source']}|{p['relationship']}|{p['target']}"] = p
        features = r.pop("_features")
        if explain:
            r["explanation"] = {  # the parts, and the feedback on a fact when there is any
                k: v if isinstance(v, str) else round(v, 6)
                for k, v in vars(features).items()
                if v is not None
            }
    return {
        "results": results,
        "relations": list(used.values()),
        "entities": sorted(found.entry.values(), key=lambda e: (-e["score"], e["name"] or "")),
    }


def _edge(f: dict[str, Any]) -> dict[str, Any]:
    return {"source": f["source"], "relationship": f["relationship"], "target": f["target"]}


def episode(e: dict[str, Any]) -> dict[str, Any]:
    """An episode node as read from the store, as a dict (times and metadata decoded)."""
    return {
        "id": e["id"],
        "content": e.get("content"),
        "role": e.get("role"),
        "name": e.get("name"),
        "occurred_at": from_store(e.get("occurred_at")),
        "metadata": json.loads(e["metadata"]) if e.get("metadata") else None,
    }


def _source(ep: dict[str, Any]) -> dict[str, Any]:
    return {k: ep[k] for k in ("id", "content", "role", "name", "occurred_at", "metadata")}


def episode_result(ep: dict[str, Any]) -> dict[str, Any]:
    """An episode as a search result, in the same shape as a fact (no relationship)."""
    return {
        "id": ep["id"],
        "type": "episode",
        "memory": ep["content"],
        "source": ep["name"],
        "relationship": None,
        "target": None,
        "source_type": None,
        "target_type": None,
        "valid_from": ep["occurred_at"],
        "valid_to": None,
        "recorded_at": ep["occurred_at"],
        "created_at": ep["occurred_at"],
        "updated_at": ep["occurred_at"],
        "metadata": ep["metadata"],
        "episode_ids": [ep["id"]],
        "sources": [_source(ep)],
    }

"""The saved Neo4j Browser queries return what they promise on a real store."""

from __future__ import annotations

from typing import Any

from graphmem import Memory
from graphmem.store.queries import load


def browse(memory: Memory, query: str, /, **params: Any) -> list[dict[str, Any]]:
    """Run a saved query as Neo4j Browser would (paths and nodes come back as dicts)."""
    return memory.store.read_raw(load(query).text, params)


def test_browser_queries_show_current_graph_versions_and_changes(memory: Memory, user: str) -> None:
    mid = memory.add_relation("Uma", "LIVES_IN", "Graz", user_id=user)["results"][0]["id"]
    memory.add_relation("Uma", "LIVES_IN", "Linz", user_id=user)
    memory.add_relation("Uma", "KNOWS", "Vic", user_id=user)

    rows = browse(memory, "browser/user_current_graph", user_id=user)
    current = {(r["p"][0]["name"], r["p"][1], r["p"][2]["name"]) for r in rows if r["p"]}
    assert current == {("Uma", "LIVES_IN", "Linz"), ("Uma", "KNOWS", "Vic")}

    versions = browse(memory, "browser/fact_versions", memory_id=mid)
    assert [(v["version"], v["status"], v["object"]) for v in versions] == [
        (1, "superseded", "Graz"),
        (2, "current", "Linz"),
    ]

    near = browse(memory, "browser/entity_neighbourhood", user_id=user, name="uma")
    assert near, "the neighbourhood query found nothing"

    changes = browse(memory, "browser/changes_since", user_id=user, since="2000-01-01T00:00:00Z")
    assert len(changes) >= 3

"""The saved Neo4j Browser queries return what they promise on a real store."""

from __future__ import annotations

from graphmem import Memory


def test_browser_queries_show_current_graph_versions_and_changes(memory: Memory, user: str) -> None:
    mid = memory.add_relation("Uma", "LIVES_IN", "Graz", user_id=user)["results"][0]["id"]
    memory.add_relation("Uma", "LIVES_IN", "Linz", user_id=user)
    memory.add_relation("Uma", "KNOWS", "Vic", user_id=user)

    rows = memory.store.read("browser/user_current_graph", user_id=user)
    current = {(r["p"][0]["name"], r["p"][1], r["p"][2]["name"]) for r in rows if r["p"]}
    assert current == {("Uma", "LIVES_IN", "Linz"), ("Uma", "KNOWS", "Vic")}

    versions = memory.store.read("browser/fact_versions", memory_id=mid)
    assert [(v["version"], v["status"], v["object"]) for v in versions] == [
        (1, "superseded", "Graz"),
        (2, "current", "Linz"),
    ]

    near = memory.store.read("browser/entity_neighbourhood", user_id=user, name="uma")
    assert near, "the neighbourhood query found nothing"

    changes = memory.store.read("browser/changes_since", user_id=user, since="2000-01-01T00:00:00Z")
    assert len(changes) >= 3

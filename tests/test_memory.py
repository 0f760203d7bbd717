"""Memory API against the real embedded graph server: versions, scopes, erase, validation."""

from __future__ import annotations

import json

import neo4j
import pytest

from graphmem import InvalidNameError, Memory, NotFoundError, ScopeError, ValidationError
from graphmem.effects import query


def facts(m: Memory, **scope: str) -> set[tuple[str, str, str]]:
    return {(f["source"], f["relationship"], f["target"]) for f in m.get_all(**scope)["results"]}


def test_add_stores_episodes_and_requires_a_scope(memory: Memory, user: str) -> None:
    out = memory.add(
        [
            {"role": "user", "content": "I moved to Berlin"},
            {"role": "assistant", "content": "Nice!"},
        ],
        user_id=user,
        metadata={"dia_id": "D1:1"},
        timestamp="2024-05-01T10:00:00Z",
        infer=False,
    )
    assert [r["event"] for r in out["results"]] == ["ADD", "ADD"]
    assert out["results"][0]["memory"] == "I moved to Berlin"
    json.dumps(out)  # plain JSON
    with pytest.raises(ScopeError, match="user_id"):
        memory.add("hello")
    with pytest.raises(ValidationError):
        memory.add([], user_id=user)
    with pytest.raises(ValidationError):
        memory.add("x", user_id=user, metadata={"bad": object()})


def test_add_relation_add_noop_update(memory: Memory, user: str) -> None:
    first = memory.add_relation("Alice", "works at", "Acme", user_id=user, source="HR record")
    added = first["results"][0]
    assert added["event"] == "ADD" and added["version"] == 1
    assert added["memory"] == "Alice works at Acme"
    assert (added["source"], added["relationship"], added["target"]) == (
        "Alice",
        "WORKS_AT",
        "Acme",
    )

    again = memory.add_relation("alice", "WORKS_AT", "ACME", user_id=user, source="payslip")
    noop = again["results"][0]
    assert noop["event"] == "NOOP" and noop["id"] == added["id"]
    assert len(memory.get(added["id"])["episode_ids"]) == 2  # provenance grew, no duplicate edge
    assert len(memory.history(added["id"])) == 1

    moved = memory.add_relation(
        "Alice", "WORKS_AT", "Globex", user_id=user, valid_from="2025-03-01"
    )["results"][0]
    assert moved["event"] == "UPDATE" and moved["id"] == added["id"] and moved["version"] == 2
    assert moved["previous_memory"] == "Alice works at Acme"
    assert facts(memory, user_id=user) == {("Alice", "WORKS_AT", "Globex")}
    old = memory.history(added["id"])[0]
    assert old["status"] == "superseded" and old["valid_to"].startswith("2025-03-01")
    assert old["expired_at"] is not None


def test_many_relation_adds_distinct_facts(memory: Memory, user: str) -> None:
    memory.add_relation("Bob", "likes", "tea", user_id=user)
    memory.add_relation("Bob", "likes", "jazz", user_id=user)
    assert facts(memory, user_id=user) == {("Bob", "LIKES", "tea"), ("Bob", "LIKES", "jazz")}


def test_update_and_delete_never_lose_versions(memory: Memory, user: str) -> None:
    mid = memory.add_relation("Carol", "LIVES_IN", "Paris", user_id=user)["results"][0]["id"]
    upd = memory.update(mid, "Lyon")["results"][0]
    assert (
        upd["event"] == "UPDATE" and upd["version"] == 2 and upd["memory"] == "Carol lives in Lyon"
    )
    memory.update(mid, {"object": "Nice", "valid_from": "2026-01-01"})
    memory.delete(mid)
    history = memory.history(mid)
    assert [h["event"] for h in history] == ["ADD", "UPDATE", "UPDATE", "DELETE"]
    assert [h["version"] for h in history[:3]] == [1, 2, 3]
    assert [h["new_memory"] for h in history] == [
        "Carol lives in Paris",
        "Carol lives in Lyon",
        "Carol lives in Nice",
        None,
    ]
    assert [h["old_memory"] for h in history] == [
        None,
        "Carol lives in Paris",
        "Carol lives in Lyon",
        "Carol lives in Nice",
    ]
    assert memory.get(mid)["status"] == "deleted"
    assert facts(memory, user_id=user) == set()
    with pytest.raises(NotFoundError, match="deleted"):
        memory.update(mid, "Rome")
    with pytest.raises(NotFoundError):
        memory.history("no-such-id")
    assert memory.get("no-such-id") is None


def test_delete_all_erases_only_that_scope(memory: Memory, user: str) -> None:
    other = user + "-b"
    memory.add_relation("Dan", "KNOWS", "Eve", user_id=user)
    memory.add("Dan says hi", user_id=user)
    keep = memory.add_relation("Dan", "KNOWS", "Eve", user_id=other)["results"][0]["id"]
    memory.add("Dan from b", user_id=other)
    out = memory.delete_all(user_id=user)
    assert out["deleted"]["facts"] == 1 and out["deleted"]["episodes"] == 1
    assert out["deleted"]["entities"] == 2
    assert facts(memory, user_id=user) == set()
    assert facts(memory, user_id=other) == {("Dan", "KNOWS", "Eve")}
    assert len(memory.history(keep)) == 1


def test_delete_all_by_run_keeps_other_runs(memory: Memory, user: str) -> None:
    memory.add_relation("Fay", "LIKES", "chess", user_id=user, run_id="r1")
    memory.add_relation("Fay", "LIKES", "golf", user_id=user, run_id="r2")
    memory.delete_all(user_id=user, run_id="r1")
    assert facts(memory, user_id=user) == {("Fay", "LIKES", "golf")}
    assert facts(memory, user_id=user, run_id="r2") == {("Fay", "LIKES", "golf")}


def test_scopes_do_not_mix(memory: Memory, user: str) -> None:
    memory.add_relation("Gus", "LIVES_IN", "Oslo", user_id=user)
    memory.add_relation("Gus", "LIVES_IN", "Rome", user_id=user + "-x")
    memory.add_relation("Gus", "LIVES_IN", "Kyiv", agent_id=user)  # same id, other kind
    assert facts(memory, user_id=user) == {("Gus", "LIVES_IN", "Oslo")}
    assert facts(memory, user_id=user + "-x") == {("Gus", "LIVES_IN", "Rome")}
    assert facts(memory, agent_id=user) == {("Gus", "LIVES_IN", "Kyiv")}


def test_bad_relation_type_is_rejected_and_nothing_written(memory: Memory, user: str) -> None:
    for bad in ["KNOWS]->() DETACH DELETE n //", "works-at", "", "1ABC", "x" * 80, "LIKES`"]:
        with pytest.raises(InvalidNameError):
            memory.add_relation("Hal", bad, "Ivy", user_id=user)
    with pytest.raises(InvalidNameError):
        memory.add_relation("Hal", "KNOWS", "Ivy", user_id=user, object_type="Person:Admin")
    assert facts(memory, user_id=user) == set()
    rows = memory.store.read(query("entity_find", owner=f"user:{user}", name_key="hal"))
    assert rows == []  # no entity was created either


def test_invalid_input_writes_nothing(memory: Memory, user: str) -> None:
    with pytest.raises(ValidationError):
        memory.add_relation(
            "Hal", "KNOWS", "Ivy", user_id=user, valid_from="2025-01-01", valid_to="2024-01-01"
        )
    with pytest.raises(ValidationError):
        memory.add_relation("Hal", "KNOWS", "Ivy", user_id=user, valid_from="yesterday-ish")
    with pytest.raises(ValidationError):
        memory.add_relation(" ", "KNOWS", "Ivy", user_id=user)
    assert facts(memory, user_id=user) == set()


def test_open_world_relation_type_passes_strict_check(memory: Memory, user: str) -> None:
    out = memory.add_relation("Jo", "plays in", "The Band", user_id=user, object_type="Group")
    fact = out["results"][0]
    assert fact["relationship"] == "PLAYS_IN" and fact["target_type"] == "Group"


def test_get_all_filters_and_pages(memory: Memory, user: str) -> None:
    memory.add_relation("Kim", "LIKES", "sushi", user_id=user, metadata={"topic": "food"})
    memory.add_relation("Kim", "LIKES", "hiking", user_id=user, metadata={"topic": "sport"})
    memory.add_relation("Kim", "LIVES_IN", "Bergen", user_id=user, metadata={"topic": "home"})
    got = memory.get_all(user_id=user, filters={"topic": "food"})["results"]
    assert [f["target"] for f in got] == ["sushi"]
    got = memory.get_all(
        user_id=user,
        filters={"OR": [{"relationship": "LIVES_IN"}, {"metadata.topic": {"in": ["sport"]}}]},
    )["results"]
    assert {f["target"] for f in got} == {"hiking", "Bergen"}
    pages = [memory.get_all(user_id=user, page=p, page_size=2)["results"] for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 1, 0]
    assert len({f["id"] for p in pages for f in p}) == 3
    with pytest.raises(ValidationError, match="unknown operator"):
        memory.get_all(user_id=user, filters={"topic": {"like": "x"}})


def test_results_are_mem0_shaped_json(memory: Memory, user: str) -> None:
    fact = memory.add_relation("Lea", "WORKS_AT", "Umbrella", user_id=user, metadata={"k": 1})[
        "results"
    ][0]
    for key in (
        "id",
        "memory",
        "event",
        "created_at",
        "updated_at",
        "metadata",
        "source",
        "relationship",
        "target",
        "valid_from",
        "valid_to",
        "version",
    ):
        assert key in fact
    assert fact["metadata"] == {"k": 1}
    json.dumps(fact)
    json.dumps(memory.history(fact["id"]))
    json.dumps(memory.get_all(user_id=user))


def test_reset_leaves_foreign_nodes(memory: Memory, user: str, raw_session: neo4j.Session) -> None:
    memory.add_relation("Max", "KNOWS", "Ned", user_id=user)
    # a node that is not graphmem's, created with raw Cypher
    raw_session.run("CREATE (n:Customer {name: 'keep me'}) RETURN n.name AS name").consume()
    memory.reset()
    assert facts(memory, user_id=user) == set()
    rows = raw_session.run("MATCH (n:Customer) RETURN n.name AS name").data()
    assert rows == [{"name": "keep me"}]
    raw_session.run("MATCH (n:Customer) DELETE n").consume()


def test_add_infers_facts_with_the_offline_extractor(memory: Memory, user: str) -> None:
    first = memory.add(
        {"role": "user", "content": "I work at Acme and I love sushi.", "name": "Maya"},
        user_id=user,
        metadata={"session": 1},
        timestamp="2024-01-10T09:00:00Z",
    )
    assert {(e["event"], e["memory"]) for e in first["results"]} == {
        ("ADD", "Maya works at Acme"),
        ("ADD", "Maya likes sushi"),
    }
    episode = first["episodes"][0]["id"]
    assert all(e["episode_ids"] == [episode] for e in first["results"])  # provenance
    assert all(e["metadata"] == {"session": 1} for e in first["results"])
    job = next(e for e in first["results"] if e["relationship"] == "WORKS_AT")

    moved = memory.add(
        {"role": "user", "content": "I left Acme. Now I work at Globex.", "name": "Maya"},
        user_id=user,
        timestamp="2024-06-01T09:00:00Z",
    )
    assert [(e["event"], e["memory"], e["id"]) for e in moved["results"]] == [
        ("UPDATE", "Maya works at Globex", job["id"])  # one change of the same memory
    ]
    assert [h["new_memory"] for h in memory.history(job["id"])] == [
        "Maya works at Acme",
        "Maya works at Globex",
    ]

    denied = memory.add(
        {"role": "user", "content": "I don't like sushi anymore.", "name": "Maya"}, user_id=user
    )
    sushi = next(e for e in first["results"] if e["relationship"] == "LIKES")
    assert [(e["event"], e["memory"], e["id"]) for e in denied["results"]] == [
        ("UPDATE", "Maya dislikes sushi", sushi["id"])  # the contradicted memory changes
    ]
    current = {(f["relationship"], f["target"]) for f in memory.get_all(user_id=user)["results"]}
    assert ("WORKS_AT", "Globex") in current and ("WORKS_AT", "Acme") not in current
    assert ("DISLIKES", "sushi") in current and ("LIKES", "sushi") not in current

    nothing = memory.add("What is machine learning?", user_id=user)
    assert nothing["results"] == [] and len(nothing["episodes"]) == 1


def test_negation_retracts_a_current_fact(memory: Memory, user: str) -> None:
    memory.add_relation("Nia", "FRIEND_OF", "Tom", user_id=user)
    out = memory.add(
        {"role": "user", "content": "Nia no longer lives in Oslo.", "name": "Nia"}, user_id=user
    )
    assert out["results"] == []  # nothing to retract, and no entity is created for it
    memory.add_relation("Nia", "LIVES_IN", "Oslo", user_id=user)
    out = memory.add("Nia no longer lives in Oslo.", user_id=user)
    assert [(e["event"], e["memory"]) for e in out["results"]] == [("DELETE", "Nia lives in Oslo")]
    assert [h["event"] for h in memory.history(out["results"][0]["id"])] == ["ADD", "DELETE"]


def test_each_write_calls_the_embedding_model_once(memory: Memory, user: str) -> None:
    calls: list[int] = []
    embed = memory.embedder.embed

    def counting(texts):  # the real embedder, counted (embedding is half a write's cost)
        calls.append(len(texts))
        return embed(texts)

    memory.embedder.embed = counting  # type: ignore[method-assign]
    try:
        memory.add(
            {"role": "user", "content": "I live in Oslo and love jazz.", "name": "Ida"},
            user_id=user,
        )
        # One call: the message, each fact's sentence, each name new to this user (Ida once).
        assert calls == [1 + 2 + 3]
        calls.clear()
        memory.add_relation("Ida", "KNOWS", "Ola", user_id=user, source="met at work")
        assert calls == [1 + 1 + 1]  # source, sentence, "Ola" (Ida is known: no vector needed)
        calls.clear()
        mid = memory.get_all(user_id=user, filters={"relationship": "KNOWS"})["results"][0]["id"]
        memory.update(mid, "Per")
        assert calls == [1 + 1]  # sentence, "Per"
    finally:
        del memory.embedder.embed


def test_a_merge_closes_equal_facts_entering_the_kept_entity(memory: Memory, user: str) -> None:
    first = memory.add_relation("Carl", "LIKES", "tea", user_id=user)["results"][0]
    memory.add_relation("Carl", "LIKES", "sushi", user_id=user)
    memory.add_relation("Dora", "LIKES", "sushi", user_id=user)
    [merged] = memory.merge_entities("tea", "sushi", user_id=user)["results"]
    assert len(merged["closed"]) == 1  # Carl likes tea twice; Dora's stays
    facts = memory.get_all(user_id=user)["results"]
    assert sorted((f["source"], f["target"]) for f in facts) == [("Carl", "tea"), ("Dora", "tea")]
    assert [f["id"] for f in facts if f["source"] == "Carl"] == [first["id"]]  # the older


def test_names_that_differ_in_a_number_stay_apart(memory: Memory, user: str) -> None:
    """A close spelling merges "Globex Grup" into "Globex Group", never "thing 11" into
    "thing 1"."""
    events = [
        memory.add_relation("Ann", "LIKES", name, user_id=user)["results"][0]
        for name in ("thing 1", "thing 11", "Room 2", "Room 22", "Season 3", "Season 33")
    ]
    assert [(e["event"], e["target"]) for e in events] == [
        ("ADD", name) for name in ("thing 1", "thing 11", "Room 2", "Room 22", "Season 3",
                                   "Season 33")
    ]  # fmt: skip
    memory.add_relation("Ann", "WORKS_AT", "Globex Group", user_id=user)
    typo = memory.add_relation("Ann", "WORKS_AT", "Globex Grup", user_id=user)["results"][0]
    assert (typo["event"], typo["target"]) == ("NOOP", "Globex Group")


def test_a_merged_name_resolves_to_the_kept_entity(memory: Memory, user: str) -> None:
    memory.add_relation("Bob", "LIVES_IN", "Lima", user_id=user)
    memory.add_relation("Ann", "LIVES_IN", "Kyiv", user_id=user)
    memory.add_relation("Cy", "LIVES_IN", "Lima", user_id=f"{user}-other")
    memory.merge_entities("Kyiv", "Lima", user_id=user)
    event = memory.add_relation("Bob", "LIVES_IN", "Lima", user_id=user)["results"][0]
    assert (event["event"], event["target"]) == ("NOOP", "Kyiv")
    # A merge of a merge keeps the first merged name; another owner's Lima is untouched.
    memory.add_relation("Dee", "LIVES_IN", "Oslo", user_id=user)
    memory.merge_entities("Oslo", "Kyiv", user_id=user)
    event = memory.add_relation("Ann", "LIVES_IN", "Lima", user_id=user)["results"][0]
    assert (event["event"], event["target"]) == ("NOOP", "Oslo")
    other = memory.add_relation("Cy", "LIVES_IN", "Lima", user_id=f"{user}-other")["results"][0]
    assert (other["event"], other["target"]) == ("NOOP", "Lima")

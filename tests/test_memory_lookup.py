"""Lookups by memory id (get, history, update, delete): an index seek on the type the id names.

A new memory's id is "<TYPE>-<hex>" (graphmem/facts.py); its versions of that type are found
through the type's memory_id index, those of other types through the `memory_types` they
carry. The answer must always be the one the old scan of every relationship gives
(`reads.scan_versions`), after updates, type changes (either way), merges, a narrowed
delete_all, imports (JSON and the Cypher script, of whole and partial memories),
forget_episode and on the async store, and ids of other forms (uuid4 ids of older stores)
must still resolve, by that scan. Speed is measured by benchmarks/lookup_bench.py, not here.

The tests at the top run without a graph server (the scripted store, the engines' schema
functions, the script export); the rest use the store.
"""

from __future__ import annotations

import asyncio
import copy
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory, NotFoundError
from graphmem.effects import Query, Rows, TxSteps
from graphmem.facts import (
    MEMORY_TYPES,
    create_version,
    memory_type,
    new_memory_id,
    other_types,
    prepare,
)
from graphmem.memory import AsyncMemory
from graphmem.ontology import RELATION_NAME, load_ontology
from graphmem.reads import scan_versions, versions
from graphmem.readwrite.cypher_script import cypher_statements
from graphmem.scope import Scope
from graphmem.store import dialect
from graphmem.store.drivers import run_sync
from graphmem.store.queries import load

from .helpers.raw import open_raw_session
from .helpers.scripted import ScriptedStore, run_scripted

EMBEDDED = not os.environ.get("NEO4J_URI")


# -- without a store -----------------------------------------------------------------------


def _row(memory_id: str, version: int, rel: str, **extra: Any) -> dict[str, Any]:
    return {
        "r": {"memory_id": memory_id, "id": f"v{version}", "version": version, **extra},
        "relationship": rel,
        "source": {"id": "e-ann", "name": "Ann", "type": "Person"},
        "target": {"id": "e-tea", "name": "tea", "type": "Food"},
    }


def test_memory_ids_name_their_first_type() -> None:
    mid = new_memory_id("LIKES")
    assert memory_type(mid) == "LIKES" and len(mid) == len("LIKES-") + 32
    assert memory_type(str(uuid.uuid4())) is None
    for other in ("likes-" + "0" * 32, "LIKES-" + "0" * 31, "LIKES-" + "G" * 32, "m1", ""):
        assert memory_type(other) is None
    with pytest.raises(ValueError):
        new_memory_id("not a type")


def test_other_types_lists_what_an_id_does_not_name() -> None:
    a = new_memory_id("LIKES")
    pairs = [(a, "LIKES"), (a, "DISLIKES"), (a, "ENJOYS"), (a, "DISLIKES"), ("m1", "KNOWS")]
    assert other_types(pairs) == {a: ["DISLIKES", "ENJOYS"]}
    assert other_types([(a, "LIKES")]) == {}


@given(st.from_regex(r"\A[A-Z][A-Z0-9_]{0,63}\Z"))
def test_every_relation_name_round_trips_through_a_memory_id(rel_type: str) -> None:
    assert RELATION_NAME.match(rel_type)
    memory_id = new_memory_id(rel_type)
    assert memory_type(memory_id) == rel_type
    assert memory_type(memory_id + "\n") is None and memory_type(" " + memory_id) is None


@given(st.text(max_size=70).filter(lambda t: not RELATION_NAME.fullmatch(t)))
def test_no_memory_id_names_an_unsafe_type(rel_type: str) -> None:
    with pytest.raises(ValueError):
        new_memory_id(rel_type)


def _fact_row(params: dict[str, Any], rel: str) -> Rows:
    return [_row(params["memory_id"], params["version"], rel)]


@pytest.mark.parametrize(
    ("joined", "kept"),
    [
        (None, None),  # a new memory: its id is minted, nothing to keep
        ("LIKES", {"rel_type": "LIKES", "add": ["DISLIKES"]}),  # the memory changes type
        ("DISLIKES", {"rel_type": "DISLIKES", "add": []}),  # its siblings' list, if any
        ("legacy", None),  # an id without a type: the scan finds it, nothing to keep
    ],
)
def test_create_version_keeps_memory_types_in_the_same_transaction(
    joined: str | None, kept: dict[str, Any] | None
) -> None:
    fact = prepare(load_ontology(), "Ann", "DISLIKES", "tea")
    memory_id = joined and (str(uuid.uuid4()) if joined == "legacy" else new_memory_id(joined))
    store = ScriptedStore(
        {
            "fact_create": lambda p: _fact_row(p, "DISLIKES"),
            "fact_memory_types": [{"versions": 1}],
        }
    )

    def work() -> TxSteps[dict[str, Any]]:
        return (
            yield from create_version(
                Scope.of("u"),
                fact,
                "e-ann",
                "e-tea",
                memory_id=memory_id,
                version=2,
                valid_from=None,
                now="2024-01-01T00:00:00+00:00",
                created_at=None,
                episode_ids=[],
            )
        )

    event = store.write(work)
    if memory_id is None:
        assert memory_type(event["id"]) == "DISLIKES"
    else:
        assert event["id"] == memory_id
    assert store.in_transaction(1)[0] == "fact_create"
    calls = [c for c in store.calls if c.name == "fact_memory_types"]
    if kept is None:
        assert calls == []
    else:
        [call] = calls
        assert call.tx == 1 and call.rel_type == kept["rel_type"]
        assert call.params == {"memory_id": memory_id, "add": kept["add"]}


def test_a_typed_id_is_one_seek_of_its_type() -> None:
    mid = new_memory_id("LIKES")
    store = ScriptedStore({"fact_versions_of_type": [_row(mid, 1, "LIKES")]})
    found = run_scripted(versions(mid), store)
    assert [v["version_id"] for v in found] == ["v1"]
    assert [(c.name, c.rel_type, c.params) for c in store.calls] == [
        ("fact_versions_of_type", "LIKES", {"memory_id": mid})
    ]


def test_other_types_are_read_at_once_and_merged_by_version() -> None:
    mid = new_memory_id("LIKES")

    def by_type(q: Query) -> Rows:
        if q.rel_type == "LIKES":
            return [
                _row(mid, 1, "LIKES", memory_types=["DISLIKES", "ENJOYS"]),
                _row(mid, 3, "LIKES", memory_types=["DISLIKES", "ENJOYS"]),
            ]
        return [_row(mid, 2 if q.rel_type == "DISLIKES" else 4, q.rel_type or "")]

    store = ScriptedStore(by_type)
    found = run_scripted(versions(mid), store)
    assert [(v["version"], v["relationship"]) for v in found] == [
        (1, "LIKES"),
        (2, "DISLIKES"),
        (3, "LIKES"),
        (4, "ENJOYS"),
    ]
    assert store.batches == [("fact_versions_of_type", "fact_versions_of_type")]
    assert [c.rel_type for c in store.calls] == ["LIKES", "DISLIKES", "ENJOYS"]


def test_untyped_and_vanished_ids_fall_back_to_the_scan() -> None:
    store = ScriptedStore({"fact_versions": [_row("m1", 1, "LIKES")]})
    assert [v["id"] for v in run_scripted(versions("m1"), store)] == ["m1"]
    assert store.names == ["fact_versions"]
    mid = new_memory_id("LIKES")  # its type has no version (left): the scan decides
    store = ScriptedStore({"fact_versions_of_type": [], "fact_versions": []})
    assert run_scripted(versions(mid), store) == []
    assert store.names == ["fact_versions_of_type", "fact_versions"]


class FakeSchemaStore:
    """The `dialect.SchemaStore` contract for Neo4j's schema calls: named reads answered
    from a dict, schema statements recorded (rendered, so their text can be checked)."""

    def __init__(self, answers: dict[str, Rows]) -> None:
        self.answers, self.schema = answers, list[str]()

    def read(self, q: Query) -> Rows:
        return self.answers[q.name]

    def write(self, work: Any) -> Any:
        raise AssertionError("schema work writes nothing")

    def run_schema(self, name: str, *, rel_type: str | None = None, **params: Any) -> None:
        statement = load(name, "neo4j")
        statement.check_params(params)
        text = statement.render(rel_type=rel_type)
        self.schema.append(" ".join(x for x in text.splitlines() if not x.startswith("//")))

    def sql(self, command: str, *, language: str = "sql") -> list[dict[str, Any]]:
        raise AssertionError("Neo4j has no SQL")


def test_neo4j_creates_the_missing_memory_id_indexes_only() -> None:
    store = FakeSchemaStore(
        {
            "schema/neo4j_fact_memory_indexes": [{"type": "LIKES"}],
            "schema/neo4j_relationship_types": [
                {"type": "LIKES"},
                {"type": "COLLECTS"},
                {"type": "odd type"},  # someone else's, with a name graphmem never makes
            ],
        }
    )
    neo4j_dialect = dialect.NEO4J
    assert neo4j_dialect.relation_types(store) == ["LIKES", "COLLECTS"]
    neo4j_dialect.prepare_relation_types(store, ["LIKES", "WORKS_AT", "COLLECTS"])
    assert store.schema == [
        f"CREATE INDEX graphmem_memory_{t} IF NOT EXISTS FOR ()-[r:{t}]-() ON (r.memory_id)"
        for t in ("COLLECTS", "WORKS_AT")
    ]
    with pytest.raises(ValueError):
        neo4j_dialect.prepare_relation_types(store, ["LIKES", "X) DETACH DELETE (n"])
    assert len(store.schema) == 2  # nothing ran for the unsafe name


def test_arcadedb_completes_what_a_type_lacks() -> None:
    half = {"name": "LIKES", "properties": [{"name": "embedding"}], "indexes": []}
    script = dialect.arcadedb_relation_schema([half], ["LIKES"]).splitlines()
    assert script == [
        "CREATE EDGE TYPE `LIKES` IF NOT EXISTS;",
        "CREATE PROPERTY `LIKES`.memory_id IF NOT EXISTS STRING;",
        "CREATE INDEX IF NOT EXISTS ON `LIKES` (memory_id) NOTUNIQUE NULL_STRATEGY SKIP;",
    ]
    with pytest.raises(ValueError):
        dialect.arcadedb_relation_schema([], ["LIKES`; DROP TYPE Entity"])


def _export_doc(rels: list[tuple[str, str]]) -> dict[str, Any]:
    nodes = [
        {"id": i, "labels": ["Entity", "Person"], "properties": {"id": i, "owner": "user:u"}}
        for i in ("e1", "e2")
    ]
    relationships = [
        {
            "type": rel,
            "start": "e1",
            "end": "e2",
            "properties": {"id": f"v{n}", "memory_id": mid, MEMORY_TYPES: ["BOGUS"]},
        }
        for n, (mid, rel) in enumerate(rels)
    ]
    return {"scope": {"owner": "user:u"}, "nodes": nodes, "relationships": relationships}


def test_the_cypher_script_adds_memory_types_after_the_versions() -> None:
    a, b = new_memory_id("LIKES"), new_memory_id("KNOWS")
    doc = _export_doc([(a, "LIKES"), (a, "DISLIKES"), (b, "KNOWS"), ("legacy-id", "LIKES")])
    statements = list(cypher_statements(doc))
    assert not any("BOGUS" in text for text in statements)  # never taken from a document
    [kept] = [text for text in statements if "memory_types = types" in text]
    assert statements[-1] == kept
    assert "MATCH ()-[v:LIKES]->()" in kept
    assert f"{{memory_id: '{a}', add: ['DISLIKES']}}" in kept
    assert b not in kept and "legacy-id" not in kept


# -- on the store ----------------------------------------------------------------------------


def typed(memory: Memory, memory_id: str) -> list[dict[str, Any]]:
    return run_sync(versions(memory_id), memory.store)


def scanned(memory: Memory, memory_id: str) -> list[dict[str, Any]]:
    return run_sync(scan_versions(memory_id), memory.store)


def same_as_scan(memory: Memory, memory_id: str) -> list[dict[str, Any]]:
    """The lookup's versions, checked against the scan of every relationship."""
    found = typed(memory, memory_id)
    key: Callable[[dict[str, Any]], Any] = lambda v: (v["version"], v["version_id"])  # noqa: E731
    assert sorted(found, key=key) == sorted(scanned(memory, memory_id), key=key)
    assert [v["version"] for v in found] == sorted(v["version"] for v in found)
    return found


class Recording:
    """The store, noting the name of every statement read outside a transaction."""

    def __init__(self, store: Any) -> None:
        self.store, self.names = store, list[str]()

    def read(self, q: Query) -> Rows:
        self.names.append(q.name)
        return self.store.read(q)

    def read_all(self, queries: Sequence[Query]) -> list[Rows]:
        self.names.extend(q.name for q in queries)
        return self.store.read_all(queries)

    def read_raw(self, text: str, params: dict[str, Any]) -> Rows:
        return self.store.read_raw(text, params)

    def write(self, work: Any) -> Any:
        return self.store.write(work)


def raw_memory_types(memory: Memory, memory_id: str) -> dict[str, list[str] | None]:
    """memory_types per version id (sorted: a set), read with raw Cypher."""
    with open_raw_session(memory.store) as session:
        rows = session.run(
            "MATCH (:Entity)-[r]->(:Entity) WHERE r.memory_id = $m "
            "RETURN r.id AS id, r.memory_types AS types",
            m=memory_id,
        )
        return {r["id"]: None if r["types"] is None else sorted(r["types"]) for r in rows}


def test_updates_and_deletes_are_found_by_index(memory: Memory, user: str) -> None:
    [added] = memory.add_relation("Ann", "lives in", "Oslo", user_id=user)["results"]
    mid = added["id"]
    assert memory_type(mid) == "LIVES_IN"
    memory.update(mid, "Rome")
    memory.add_relation("Ann", "lives in", "Lima", user_id=user)  # a functional update
    memory.delete(mid)
    recording = Recording(memory.store)
    found = run_sync(versions(mid), recording)
    assert recording.names == ["fact_versions_of_type"]  # no scan
    assert [(v["target"], v["status"]) for v in found] == [
        ("Oslo", "superseded"),
        ("Rome", "superseded"),
        ("Lima", "deleted"),
    ]
    assert same_as_scan(memory, mid) == found
    assert [e["event"] for e in memory.history(mid)] == ["ADD", "UPDATE", "UPDATE", "DELETE"]
    assert memory.get(mid)["status"] == "deleted"
    assert all(t is None for t in raw_memory_types(memory, mid).values())  # nothing to keep


def test_a_memory_that_changes_type_keeps_every_version(memory: Memory, user: str) -> None:
    [liked] = memory.add_relation("Ann", "likes", "tea", user_id=user)["results"]
    mid = liked["id"]
    [disliked] = memory.add_relation("Ann", "dislikes", "tea", user_id=user)["results"]
    assert (disliked["event"], disliked["id"]) == ("UPDATE", mid)
    [again] = memory.add_relation("Ann", "likes", "tea", user_id=user)["results"]
    assert (again["event"], again["id"]) == ("UPDATE", mid)
    memory.update(mid, {"relation": "ENJOYS"})  # a custom type, prepared after its first write
    found = same_as_scan(memory, mid)
    assert [v["relationship"] for v in found] == ["LIKES", "DISLIKES", "LIKES", "ENJOYS"]
    assert memory.get(mid)["relationship"] == "ENJOYS"
    assert len(memory.history(mid)) == 4
    types = raw_memory_types(memory, mid)  # on the id's type's versions only
    assert types == {
        v["version_id"]: ["DISLIKES", "ENJOYS"] if v["relationship"] == "LIKES" else None
        for v in found
    }
    assert memory.store.unprepared(["ENJOYS"]) == set()
    assert MEMORY_TYPES not in memory.get(mid)  # internal: never in a record


@pytest.mark.parametrize(("first", "then"), [("LIKES", "DISLIKES"), ("DISLIKES", "LIKES")])
def test_a_type_change_is_found_from_either_type(
    memory: Memory, user: str, first: str, then: str
) -> None:
    [made] = memory.add_relation("Ann", first, "tea", user_id=user)["results"]
    mid = made["id"]
    assert memory_type(mid) == first
    memory.update(mid, {"relation": then})
    memory.update(mid, {"relation": first, "object": "green tea"})  # back to the id's type
    recording = Recording(memory.store)
    found = run_sync(versions(mid), recording)
    assert recording.names == ["fact_versions_of_type", "fact_versions_of_type"]  # no scan
    assert [(v["relationship"], v["target"]) for v in found] == [
        (first, "tea"),
        (then, "tea"),
        (first, "green tea"),
    ]
    assert same_as_scan(memory, mid) == found
    assert memory.get(mid) == found[-1]
    assert [e["event"] for e in memory.history(mid)] == ["ADD", "UPDATE", "UPDATE"]
    memory.delete(mid)
    assert memory.get(mid)["status"] == "deleted"


def test_a_narrowed_delete_all_leaves_the_other_versions_findable(
    memory: Memory, user: str
) -> None:
    [liked] = memory.add_relation("Ann", "likes", "tea", user_id=user, run_id="r1")["results"]
    mid = liked["id"]
    [disliked] = memory.add_relation("Ann", "dislikes", "tea", user_id=user)["results"]
    assert disliked["id"] == mid and disliked["run_id"] is None  # the memory spans two runs
    memory.delete_all(user_id=user, run_id="r1")  # erases the LIKES version only
    recording = Recording(memory.store)
    found = run_sync(versions(mid), recording)
    assert recording.names == ["fact_versions_of_type", "fact_versions"]  # none left: the scan
    assert [v["relationship"] for v in found] == ["DISLIKES"]
    assert memory.get(mid)["relationship"] == "DISLIKES"
    memory.update(mid, "coffee")
    assert [v["target"] for v in same_as_scan(memory, mid)] == ["tea", "coffee"]


@pytest.mark.skipif(not EMBEDDED, reason="ArcadeDB's schema")
def test_every_relation_type_gets_its_memory_id_index(memory: Memory, user: str) -> None:
    memory.add_relation("Ann", "collects", "stamps", user_id=user)  # a custom type
    types = {t["name"]: t for t in memory.store.sql("SELECT name, indexes FROM schema:types")}
    wanted = [r.name for r in memory.ontology.relation_types] + ["COLLECTS"]
    for name in wanted:
        indexes = types[name]["indexes"] or []
        assert any(i["properties"] == ["memory_id"] for i in indexes), name


def test_merged_entities_keep_their_memories_findable(memory: Memory, user: str) -> None:
    [ivo] = memory.add_relation("Ivo", "works at", "Acme", user_id=user)["results"]
    [jaro] = memory.add_relation("Jaro", "lives in", "Oslo", user_id=user)["results"]
    [ann] = memory.add_relation("Ann", "knows", "Jaro", user_id=user)["results"]
    memory.update(jaro["id"], "Rome")
    memory.merge_entities("Ivo", "Jaro", user_id=user)  # Jaro's facts move to Ivo
    for mid in (ivo["id"], jaro["id"], ann["id"]):
        assert same_as_scan(memory, mid)
    assert memory.get(jaro["id"])["source"] == "Ivo"
    assert memory.get(ann["id"])["target"] == "Ivo"
    memory.update(jaro["id"], "Lima")
    assert [v["target"] for v in same_as_scan(memory, jaro["id"])] == ["Oslo", "Rome", "Lima"]
    assert {v["source"] for v in typed(memory, jaro["id"])} == {"Ivo"}


def test_forget_episode_restores_a_findable_version(memory: Memory, user: str) -> None:
    [first] = memory.add_relation("Ann", "lives in", "Oslo", user_id=user, source="in Oslo")[
        "results"
    ]
    [moved] = memory.add_relation("Ann", "lives in", "Rome", user_id=user, source="to Rome")[
        "results"
    ]
    mid = first["id"]
    assert moved["id"] == mid
    out = memory.forget_episode(moved["episode_ids"][0], user_id=user)
    assert [e["event"] for e in out["results"]] == ["DELETE", "UPDATE"]
    found = same_as_scan(memory, mid)
    assert [(v["target"], v["status"]) for v in found] == [
        ("Oslo", "superseded"),
        ("Rome", "retracted"),
        ("Oslo", "current"),
    ]
    assert memory.get(mid)["target"] == "Oslo"


@pytest.mark.parametrize("fmt", ["json", "graphml"])
def test_import_gives_memory_types_back(
    memory: Memory, user: str, tmp_path: Path, fmt: str
) -> None:
    [liked] = memory.add_relation("Ann", "likes", "tea", user_id=user)["results"]
    mid = liked["id"]
    memory.add_relation("Ann", "dislikes", "tea", user_id=user)
    [kept] = memory.add_relation("Ann", "likes", "jazz", user_id=user)["results"]
    doc = memory.export(user_id=user)
    facts = [r for r in doc["relationships"] if r["properties"].get("memory_id")]
    assert facts and all(MEMORY_TYPES not in r["properties"] for r in facts)  # not exported
    path = tmp_path / f"memory.{fmt}"
    memory.export(path, user_id=user)
    assert MEMORY_TYPES not in path.read_text(encoding="utf-8")
    memory.delete_all(user_id=user)
    assert memory.get(mid) is None and memory.get(kept["id"]) is None
    memory.import_(path)
    found = same_as_scan(memory, mid)
    assert [v["relationship"] for v in found] == ["LIKES", "DISLIKES"]
    assert memory.get(mid)["relationship"] == "DISLIKES"
    assert memory.get(kept["id"])["target"] == "jazz"
    by_type = {v["relationship"]: v["version_id"] for v in found}
    assert raw_memory_types(memory, mid) == {
        by_type["LIKES"]: ["DISLIKES"],
        by_type["DISLIKES"]: None,
    }
    memory.import_(path)  # twice: the same graph
    assert same_as_scan(memory, mid) == found


def test_importing_part_of_a_memory_takes_nothing_away(memory: Memory, user: str) -> None:
    [liked] = memory.add_relation("Ann", "likes", "tea", user_id=user, run_id="r1")["results"]
    mid = liked["id"]
    memory.add_relation("Ann", "dislikes", "tea", user_id=user)  # the next version, no run
    whole = memory.export(user_id=user)
    only_r1 = memory.export(user_id=user, run_id="r1")  # the LIKES version alone
    assert {r["type"] for r in only_r1["relationships"]} == {"LIKES"}
    memory.import_(only_r1)  # back into the store that holds the rest of the memory
    assert memory.get(mid)["relationship"] == "DISLIKES"
    assert [v["relationship"] for v in same_as_scan(memory, mid)] == ["LIKES", "DISLIKES"]

    memory.delete_all(user_id=user)  # now the parts arrive one by one, the LIKES part first
    memory.import_(only_r1)
    assert memory.get(mid)["relationship"] == "LIKES"
    the_rest = copy.deepcopy(whole)
    the_rest["relationships"] = [r for r in whole["relationships"] if r["type"] != "LIKES"]
    memory.import_(the_rest)  # the DISLIKES version, with no version of the id's type
    assert memory.get(mid)["relationship"] == "DISLIKES"
    assert [v["relationship"] for v in same_as_scan(memory, mid)] == ["LIKES", "DISLIKES"]


def test_the_cypher_script_loads_memories_that_changed_type(memory: Memory, user: str) -> None:
    [liked] = memory.add_relation("Ann", "likes", "tea", user_id=user)["results"]
    mid = liked["id"]
    memory.update(mid, {"relation": "DISLIKES"})
    [kept] = memory.add_relation("Ann", "likes", "jazz", user_id=user)["results"]
    before = same_as_scan(memory, mid)
    statements = list(cypher_statements(memory.export(user_id=user)))
    memory.delete_all(user_id=user)
    assert memory.get(mid) is None
    with open_raw_session(memory.store) as session:
        for statement in statements:
            session.execute_write(lambda tx, s=statement: tx.run(s).consume())
    assert same_as_scan(memory, mid) == before
    assert memory.get(kept["id"])["target"] == "jazz"
    by_type = {v["relationship"]: v["version_id"] for v in before}
    assert raw_memory_types(memory, mid) == {
        by_type["LIKES"]: ["DISLIKES"],
        by_type["DISLIKES"]: None,
    }


def test_the_async_store_finds_and_prepares_the_same(config: dict[str, Any], user: str) -> None:
    custom = f"ADORES_{uuid.uuid4().hex[:8].upper()}"  # a type no store has prepared yet

    async def go(m: AsyncMemory) -> tuple[str, list[dict[str, Any]]]:
        [made] = (await m.add_relation("Ann", "likes", "tea", user_id=user))["results"]
        await m.update(made["id"], {"relation": custom})
        assert m.store.unprepared([custom]) == set()  # prepared after the async write
        assert (await m.get(made["id"]))["relationship"] == custom
        changes = await m.history(made["id"])
        await m.delete(made["id"])
        return made["id"], changes

    async def main() -> tuple[str, list[dict[str, Any]]]:
        async with AsyncMemory(config) as m:
            return await go(m)

    mid, changes = asyncio.run(main())
    assert [c["event"] for c in changes] == ["ADD", "UPDATE"]
    with Memory(config) as m:
        found = same_as_scan(m, mid)
        assert [(v["relationship"], v["status"]) for v in found] == [
            ("LIKES", "superseded"),
            (custom, "deleted"),
        ]
        assert m.store.unprepared([custom]) == set()  # a type the store holds: on open


def test_a_store_holding_relation_types_opens_again(
    memory: Memory, config: dict[str, Any], user: str
) -> None:
    """Preparing the store's types on open happens under the schema lock it already holds
    (taking it again would wait for ever)."""
    memory.add_relation("Ann", "collects", "stamps", user_id=user)
    opened: list[bool] = []

    def open_one() -> None:
        with Memory(config) as again:
            opened.append(again.store.unprepared(["COLLECTS"]) == set())

    thread = threading.Thread(target=open_one, daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert opened == [True]


def test_legacy_uuid_ids_still_resolve(memory: Memory, user: str) -> None:
    legacy = str(uuid.uuid4())
    [made] = memory.add_relation("Ann", "works at", "Acme", user_id=user)["results"]
    with open_raw_session(memory.store) as session:
        session.run(
            "MATCH (:Entity)-[r]->(:Entity) WHERE r.memory_id = $old SET r.memory_id = $new",
            old=made["id"],
            new=legacy,
        ).consume()
    assert memory.get(made["id"]) is None
    assert memory.get(legacy)["target"] == "Acme"
    memory.update(legacy, "Globex")  # the id stays; the new version joins it
    memory.add_relation("Ann", "works at", "Initech", user_id=user)
    recording = Recording(memory.store)
    found = run_sync(versions(legacy), recording)
    assert recording.names == ["fact_versions"]  # the scan
    assert [v["target"] for v in found] == ["Acme", "Globex", "Initech"]
    assert found == same_as_scan(memory, legacy)
    memory.delete(legacy)
    assert [e["event"] for e in memory.history(legacy)][-1] == "DELETE"


def test_unknown_ids(memory: Memory) -> None:
    for mid in (new_memory_id("LIKES"), new_memory_id("NEVER_WRITTEN"), str(uuid.uuid4())):
        assert memory.get(mid) is None
        with pytest.raises(NotFoundError):
            memory.history(mid)
        with pytest.raises(NotFoundError):
            memory.delete(mid)


# -- random sequences ------------------------------------------------------------------------

PEOPLE = ["Ann", "Ben", "Cy"]
THINGS = ["tea", "jazz", "Oslo"]


@st.composite
def step(draw: st.DrawFn) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(["add", "add", "add", "update", "merge"]))
    if kind == "add":
        relation = draw(st.sampled_from(["likes", "dislikes", "lives in", "knows"]))
        obj = draw(st.sampled_from(PEOPLE if relation == "knows" else THINGS))
        return ("add", draw(st.sampled_from(PEOPLE)), relation, obj)
    if kind == "update":
        change = draw(
            st.sampled_from(
                [
                    {"object": "Rome"},
                    {"relation": "DISLIKES"},
                    {"relation": "LIKES"},
                    {"relation": "ADMIRES"},  # a custom type
                ]
            )
        )
        return ("update", draw(st.integers(0, 30)), change)
    return ("merge", *draw(st.permutations(PEOPLE))[:2])


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step(), min_size=1, max_size=8))
def test_lookup_equals_the_scan_after_random_changes(
    memory: Memory, steps: list[tuple[Any, ...]]
) -> None:
    user = f"p-{uuid.uuid4().hex[:10]}"
    ids: list[str] = []
    merged: set[str] = set()
    for kind, *args in steps:
        if kind == "add":
            subject, relation, obj = args
            if {subject, obj} & merged:
                continue
            for event in memory.add_relation(subject, relation, obj, user_id=user)["results"]:
                if event["id"] not in ids:
                    ids.append(event["id"])
        elif kind == "update" and ids:
            mid = ids[args[0] % len(ids)]
            current = memory.get(mid)
            if current is None or current["status"] != "current":
                continue
            memory.update(mid, args[1])
        elif kind == "merge":
            keep, gone = args
            if keep in merged or gone in merged:
                continue
            try:
                memory.merge_entities(keep, gone, user_id=user)
            except NotFoundError:
                continue  # one of them was never named
            merged.add(gone)
        for mid in ids:
            found = same_as_scan(memory, mid)
            assert found, mid
            assert memory.get(mid) == found[-1]

"""`GraphmemStore`, LangGraph's `BaseStore` over graphmem, checked the way LangGraph checks its
own stores (its `tests/test_store.py`: put/get/delete, search with query, filter, limit and
offset, nested namespaces, list_namespaces with prefix/suffix/max_depth, batches, async).

The conformance checks run twice: against `GraphmemStore` on the session's store and against
LangGraph's own `InMemoryStore` (embedding with the same hashing embedder), so each check is
proven to hold for LangGraph's reference semantics too. The checks after them are graphmem's
own: where the data lives, versions, scope, a LangGraph `StateGraph` using the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchOp,
)
from langgraph.store.memory import InMemoryStore

from graphmem import AsyncMemory, Memory, ValidationError
from graphmem.embeddings import HashingEmbedder
from graphmem.integrations.langgraph import GraphmemStore

from .conftest import DIMENSIONS

pytestmark = pytest.mark.store


@pytest.fixture(params=["graphmem", "reference"])
def store(request: pytest.FixtureRequest) -> Iterator[BaseStore]:
    if request.param == "reference":
        embedder = HashingEmbedder(DIMENSIONS)
        yield InMemoryStore(index={"dims": DIMENSIONS, "embed": embedder.embed})
        return
    memory: Memory = request.getfixturevalue("memory")
    yield GraphmemStore(memory, user_id=request.getfixturevalue("user"))


def keys(items: list[Any]) -> list[str]:
    return [i.key for i in items]


# -- conformance: both stores ------------------------------------------------------------------


def test_put_get_overwrite_delete(store: BaseStore) -> None:
    ns = ("users", "ida")
    assert store.get(ns, "prefs") is None
    store.put(ns, "prefs", {"theme": "dark"})
    item = store.get(ns, "prefs")
    assert item is not None
    assert (item.namespace, item.key, item.value) == (ns, "prefs", {"theme": "dark"})
    assert item.created_at.tzinfo is not None and item.updated_at >= item.created_at
    store.put(ns, "prefs", {"theme": "light", "size": 12})  # a put overwrites
    again = store.get(ns, "prefs")
    assert again is not None and again.value == {"theme": "light", "size": 12}
    assert again.updated_at >= item.updated_at
    assert len(store.search(ns)) == 1  # still one item
    assert store.get(ns, "PREFS") is None and store.get(("users",), "prefs") is None  # exact
    store.delete(ns, "prefs")
    assert store.get(ns, "prefs") is None
    store.delete(ns, "never-stored")  # deleting nothing is no error
    assert store.search(ns) == []


def test_values_round_trip_exactly(store: BaseStore) -> None:
    value = {
        "text": "Ida wohnt in Zürich 🏔️ — «naïve» café",
        "nested": {"list": [1, 2.5, None, True, {"deep": ["x", {"y": "z"}]}], "empty": {}},
        "quote": 'a "quoted" \\ backslash\nnewline',
    }
    ns = ("docs", "ünïcode")
    store.put(ns, "k/ü 1", value)
    item = store.get(ns, "k/ü 1")
    assert item is not None and item.value == value and item.key == "k/ü 1"
    assert keys(store.search(("docs",))) == ["k/ü 1"]
    for key in ('k"', "k\\", 'k"]', "k"):  # keys that JSON escapes are still exact
        store.put(ns, key, {"key": key})
    for key in ('k"', "k\\", 'k"]', "k"):
        got = store.get(ns, key)
        assert got is not None and got.value == {"key": key}
    assert len(store.search(ns, query="   ")) == 5  # a blank query ranks nothing


def test_nested_namespaces_are_exact_prefixes(store: BaseStore) -> None:
    store.put(("a", "b"), "one", {"n": 1})
    store.put(("a", "b", "c"), "two", {"n": 2})
    store.put(("a", "bc"), "three", {"n": 3})
    store.put(("x",), "four", {"n": 4})
    assert sorted(keys(store.search(("a",)))) == ["one", "three", "two"]
    assert sorted(keys(store.search(("a", "b")))) == ["one", "two"]
    assert keys(store.search(("a", "b", "c"))) == ["two"]
    assert keys(store.search(("a", "b", "c", "d"))) == []
    assert sorted(keys(store.search(()))) == ["four", "one", "three", "two"]
    # the same key in two namespaces: two items
    store.put(("x", "y"), "four", {"n": 5})
    four = store.get(("x",), "four")
    assert four is not None and four.value == {"n": 4}


def test_search_filters_on_value_keys(store: BaseStore) -> None:
    ns = ("docs",)
    store.put(ns, "a", {"type": "article", "status": "published", "score": 4, "tags": ["x"]})
    store.put(ns, "b", {"type": "article", "status": "draft", "score": 2, "meta": {"lang": "en"}})
    store.put(ns, "c", {"type": "note", "score": "7", "meta": {"lang": "de", "v": 1}})

    def found(flt: dict[str, Any]) -> list[str]:
        return sorted(keys(store.search(ns, filter=flt)))

    assert found({"type": "article"}) == ["a", "b"]
    assert found({"type": "article", "status": "draft"}) == ["b"]
    assert found({"status": {"$ne": "draft"}}) == ["a", "c"]
    assert found({"score": {"$gte": 3}}) == ["a", "c"]  # numbers compare as numbers
    assert found({"score": {"$gt": 2, "$lt": 5}}) == ["a"]
    assert found({"score": {"$eq": 2}}) == ["b"]
    assert found({"meta": {"lang": "de"}}) == ["c"]  # a dict matches the keys it names
    assert found({"tags": ["x"]}) == ["a"] and found({"tags": ["x", "y"]}) == []
    assert found({"missing": "x"}) == []


def test_search_limit_and_offset(store: BaseStore) -> None:
    ns = ("pages",)
    for i in range(7):
        store.put(ns, f"p{i}", {"i": i})
    pages = [keys(store.search(ns, limit=3, offset=o)) for o in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sorted(k for p in pages for k in p) == [f"p{i}" for i in range(7)]
    assert len(store.search(ns)) == 7  # default limit 10
    assert store.search(ns, offset=7) == []


def test_search_with_query_ranks_the_matching_item_first(store: BaseStore) -> None:
    ns = ("memories", "ida")
    store.put(ns, "home", {"content": "I live in Porto"})
    store.put(ns, "job", {"content": "I work at Acme as an engineer"})
    store.put(ns, "tea", {"content": "I like green tea"})
    store.put(ns, "blob", {"content": "Where do I live? A question kept unindexed"}, index=False)
    hits = store.search(ns, query="Where do I live?")
    assert hits[0].key == "home"
    assert isinstance(hits[0].score, float)
    scored = [h.score for h in hits if h.score is not None]
    assert scored == sorted(scored, reverse=True)
    blob = next(h for h in hits if h.key == "blob")  # an unindexed item has no score
    assert blob.score is None
    assert [h.key for h in store.search(ns, query="Where do I live?", limit=1)] == ["home"]
    assert store.search(ns, query="Where do I live?", filter={"content": "I like green tea"})[
        0
    ].key == ("tea")


def test_index_fields_choose_what_is_searched(store: BaseStore) -> None:
    ns = ("notes",)
    store.put(ns, "n1", {"title": "Groceries", "body": "I live in Porto"}, index=["title"])
    store.put(ns, "n2", {"title": "Home", "body": "I like green tea"}, index=["title"])
    assert store.search(ns, query="Groceries")[0].key == "n1"
    assert store.search(ns, query="Home")[0].key == "n2"


LIST_NAMESPACES = [
    ("a", "b", "c"),
    ("a", "b", "d", "e"),
    ("a", "b", "d", "i"),
    ("a", "b", "f"),
    ("a", "c", "f"),
    ("b", "a", "f"),
    ("users", "123"),
    ("users", "456", "settings"),
    ("admin", "users", "789"),
]


def test_list_namespaces(store: BaseStore) -> None:
    """LangGraph's `test_list_namespaces_basic`, as written there."""
    assert store.list_namespaces() == []
    for i, ns in enumerate(LIST_NAMESPACES):
        store.put(ns, f"id_{i}", {"data": f"value_{i:02d}"})
    assert store.list_namespaces() == sorted(LIST_NAMESPACES)
    assert store.list_namespaces(prefix=("a", "b")) == [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
    ]
    assert store.list_namespaces(suffix=("f",)) == [
        ("a", "b", "f"),
        ("a", "c", "f"),
        ("b", "a", "f"),
    ]
    assert store.list_namespaces(prefix=("a",), suffix=("f",)) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(prefix=("a", "b"), max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]
    assert store.list_namespaces(max_depth=2) == [
        ("a", "b"),
        ("a", "c"),
        ("admin", "users"),
        ("b", "a"),
        ("users", "123"),
        ("users", "456"),
    ]
    assert store.list_namespaces(prefix=("a", "b"), limit=2) == [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
    ]
    assert store.list_namespaces(prefix=("a", "b"), offset=2) == [
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
    ]
    assert store.list_namespaces(prefix=("a", "*", "f")) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(suffix=("*", "f")) == [
        ("a", "b", "f"),
        ("a", "c", "f"),
        ("b", "a", "f"),
    ]
    assert store.list_namespaces(prefix=("*", "users"), suffix=("*", "settings")) == []
    assert store.list_namespaces(prefix=("nonexistent",)) == []
    assert store.list_namespaces(prefix=("users", "123")) == [("users", "123")]


def test_batch_mixes_operations(store: BaseStore) -> None:
    ns = ("batch",)
    store.put(ns, "old", {"v": 0})
    results = store.batch(
        [
            PutOp(ns, "k", {"v": 1}),
            GetOp(ns, "k"),  # reads see the store as it was before the batch's puts
            GetOp(ns, "old"),
            SearchOp(ns, None, 10, 0),
            ListNamespacesOp(match_conditions=(MatchCondition("prefix", ns),)),
            PutOp(ns, "k", {"v": 2}),  # the last put to an address wins
            PutOp(ns, "old", None),
        ]
    )
    assert len(results) == 7 and store.batch([]) == []
    assert results[0] is None and results[1] is None
    assert results[2] is not None and results[2].value == {"v": 0}
    assert keys(results[3]) == ["old"]
    assert results[4] == [ns]
    assert results[5] is None and results[6] is None
    k = store.get(ns, "k")
    assert k is not None and k.value == {"v": 2}
    assert store.get(ns, "old") is None


def test_async_api(store: BaseStore) -> None:
    async def scenario() -> None:
        ns = ("async", "ida")
        await asyncio.gather(
            store.aput(ns, "a", {"content": "I live in Porto"}),
            store.aput(ns, "b", {"content": "I like green tea"}),
        )
        got = await store.aget(ns, "a")
        assert got is not None and got.value == {"content": "I live in Porto"}
        assert sorted(keys(await store.asearch(ns))) == ["a", "b"]
        assert (await store.asearch(ns, query="Where do I live?"))[0].key == "a"
        assert await store.alist_namespaces(prefix=("async",)) == [ns]
        await store.adelete(ns, "a")
        assert await store.aget(ns, "a") is None
        assert (await store.abatch([GetOp(ns, "b"), SearchOp(ns, {"content": "x"})]))[1] == []

    asyncio.run(scenario())


def test_namespace_rules(store: BaseStore) -> None:
    doc = {"foo": "bar"}
    for bad in [(), ("the", "thing.about"), ("some", "fun", ""), ("langgraph", "foo")]:
        with pytest.raises(InvalidNamespaceError):
            store.put(bad, "foo", doc)
    # the reserved root is refused by put(), not by the batch below it (as in LangGraph)
    store.batch([PutOp(("langgraph", "foo"), "bar", doc)])
    item = store.get(("langgraph", "foo"), "bar")
    assert item is not None and item.value == doc


class State(TypedDict):
    question: str
    answer: str


def test_a_state_graph_uses_the_store_unchanged(store: BaseStore) -> None:
    """A LangGraph graph given the store by `compile(store=...)`: nodes get it injected."""

    def remember(state: State, *, store: BaseStore) -> dict[str, Any]:
        store.put(("memories", "ida"), "home", {"content": "I live in Porto"})
        store.put(("memories", "ida"), "tea", {"content": "I like green tea"})
        return {}

    def answer(state: State, *, store: BaseStore) -> dict[str, Any]:
        best = store.search(("memories", "ida"), query=state["question"], limit=1)
        return {"answer": best[0].value["content"]}

    builder = StateGraph(State)
    builder.add_node("remember", remember)
    builder.add_node("answer", answer)
    builder.add_edge(START, "remember")
    builder.add_edge("remember", "answer")
    builder.add_edge("answer", END)
    graph = builder.compile(store=store)
    out = graph.invoke({"question": "Where do I live?", "answer": ""})
    assert out["answer"] == "I live in Porto"


# -- graphmem's own: where the data lives --------------------------------------------------------


def test_items_are_episodes_and_facts_of_the_bound_scope(memory: Memory, user: str) -> None:
    store = GraphmemStore(memory, user_id=user, speaker="Ida")
    ns = ("memories", "ida")
    store.put(ns, "home", {"content": "I live in Porto."})
    facts = memory.get_all(user_id=user)["results"]
    assert [f["memory"] for f in facts] == ["Ida lives in Porto"]  # extracted, offline
    found = memory.search("Where does Ida live?", user_id=user)["results"]
    source = found[0]["sources"][0]
    assert source["metadata"]["langgraph"]["address"] == [*ns, "home"]

    first = store.get(ns, "home")
    store.put(ns, "home", {"content": "I live in Lisbon."})  # a new version of the same fact
    facts = memory.get_all(user_id=user)["results"]
    assert [f["memory"] for f in facts] == ["Ida lives in Lisbon"]
    history = memory.history(facts[0]["id"])
    assert [h["new_memory"] for h in history][:2] == ["Ida lives in Porto", "Ida lives in Lisbon"]
    item = store.get(ns, "home")
    assert first is not None and item is not None
    assert item.created_at == first.created_at and item.updated_at > first.updated_at
    nodes = memory.export(user_id=user, include_embeddings=False)["nodes"]
    assert len([n for n in nodes if "Episode" in n["labels"]]) == 1  # the old one forgotten

    store.put(ns, "blob", {"state": [1, 2]}, index=False)  # stored, not extracted
    assert len(memory.get_all(user_id=user)["results"]) == 1
    store.delete(ns, "home")  # forgets the episode: what only it taught is retracted
    assert memory.get_all(user_id=user)["results"] == []
    assert keys(store.search(ns)) == ["blob"]


def test_a_store_sees_only_its_scope(memory: Memory, user: str) -> None:
    mine = GraphmemStore(memory, user_id=user)
    other = GraphmemStore(memory, user_id=user + "-other")
    mine.put(("shared",), "k", {"v": "mine"})
    other.put(("shared",), "k", {"v": "theirs"})
    got = mine.get(("shared",), "k")
    assert got is not None and got.value == {"v": "mine"}
    memory.add("I like tea.", user_id=user)  # the scope's own episodes are no items
    assert keys(mine.search(("shared",))) == ["k"] and mine.list_namespaces() == [("shared",)]
    memory.delete_all(user_id=user)  # erasing the scope erases its items, nothing else
    assert mine.get(("shared",), "k") is None
    assert mine.list_namespaces() == []  # a namespace lives as long as one of its items
    theirs = other.get(("shared",), "k")
    assert theirs is not None and theirs.value == {"v": "theirs"}


def test_bad_puts_write_nothing(memory: Memory, user: str) -> None:
    store = GraphmemStore(memory, user_id=user)
    with pytest.raises(ValidationError, match="JSON"):
        store.batch([PutOp(("a",), "ok", {"v": 1}), PutOp(("a",), "bad", {"v": object()})])
    assert store.search(("a",)) == []
    with pytest.raises(ValidationError, match="ttl"):
        store.batch([PutOp(("a",), "k", {"v": 1}, ttl=5.0)])
    with pytest.raises(NotImplementedError):
        store.put(("a",), "k", {"v": 1}, ttl=5.0)  # LangGraph's own check
    with pytest.raises(InvalidNamespaceError):  # ops given to batch are checked too
        store.batch([GetOp(("a.b",), "k")])


def test_async_memory_backs_the_async_api(config: dict[str, Any], user: str) -> None:
    async def scenario() -> None:
        async with AsyncMemory(config) as m:
            store = GraphmemStore(m, user_id=user)
            await store.aput(("a",), "k", {"content": "I live in Porto"})
            got = await store.aget(("a",), "k")
            assert got is not None and got.value == {"content": "I live in Porto"}
            assert (await store.asearch(("a",), query="Where do I live?"))[0].key == "k"
            with pytest.raises(ValidationError, match="async API"):
                store.get(("a",), "k")

    asyncio.run(scenario())

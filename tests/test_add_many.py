"""`add_many` (graphmem/batch.py) and the batched `ingest`: the graph they store is the one the
same items added one by one would give; a bad item or a failed write stores nothing and the
error names the item; AsyncMemory runs the same operation.

The equivalence tests store one conversation twice, into two users: once by a loop of `add`,
once in batches, and compare the two exports whole (every entity, episode, fact version,
MENTIONS link and provenance list, in its order), every memory's history and the changes in
time order, once what must differ is normalized: ids (entities by name, episodes by time and
text, memories by their first version), the user, and the transaction times (recorded_at,
expired_at, created_at, updated_at), which are replaced by their rank, so their order counts.
The tests at the end run the operation against the scripted store (the fast tier).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from graphmem import AsyncMemory, Memory, batch, writes
from graphmem.batch import MAX_ITEMS, AddItem, check_items
from graphmem.errors import ExtractionError, StoreError, ValidationError
from graphmem.ingest import load_items

LOCOMO = Path("/work/shared/data/locomo/locomo_dev.json")
TX_TIMES = ("recorded_at", "expired_at", "created_at", "updated_at")

# (session, time, text): Ida's life, told with repeats, changes, denials, late facts, names
# that resolve to earlier entities by first name and nickname, and a marriage at both ends.
CONVERSATION = [
    ("s1", "2024-01-05T10:00:00Z", "I work at Acme."),
    ("s1", "2024-01-05T10:01:00Z", "My sister Emma lives in Rome."),
    ("s1", "2024-01-05T10:02:00Z", "I live in Berlin."),
    ("s1", "2024-01-05T10:03:00Z", "I love jazz."),
    ("s1", "2024-01-05T10:04:00Z", "My friend Bob Smith works at Initech."),
    ("s1", "2024-01-05T10:05:00Z", "Thanks!"),
    ("s2", "2024-03-01T09:00:00Z", "Emma Stone moved to Oslo last year."),
    ("s2", "2024-03-01T09:01:00Z", "I hate jazz."),
    ("s2", "2024-03-01T09:02:00Z", "I don't work at Acme anymore."),
    ("s2", "2024-03-01T09:03:00Z", "I work at Globex now."),
    ("s2", "2024-03-01T09:04:00Z", "In 2019 I lived in Paris."),
    ("s2", "2024-03-01T09:05:00Z", "Robert Smith married Alice."),
    ("s2", "2024-03-01T09:06:00Z", "Thanks!"),
    ("s3", "2024-05-01T10:00:00Z", "I work at Globex now."),
    ("s3", "2024-05-01T10:01:00Z", "Tom and I are friends."),
    ("s3", "2024-05-01T10:02:00Z", "Kim married Alice."),
    ("s3", "2024-05-01T10:03:00Z", "Emma and I are no longer friends."),
    ("s3", "2024-05-01T10:04:00Z", "I moved to Madrid in March 2024."),
    ("s3", "2024-05-01T10:05:00Z", "Bob lives in Oslo."),
    ("s3", "2024-05-01T10:06:00Z", "I love jazz."),
]


def conversation_items(user: str, *, runs: bool = False) -> list[dict[str, Any]]:
    """The conversation as add_many items, with a two-message item and an episodes-only item
    of a run. One scope, so that the facts reconcile with each other; with `runs`, each
    session is a run of its own (the runs' facts do not reconcile with each other's)."""
    items: list[dict[str, Any]] = [
        {
            "messages": {"role": "user", "name": "Ida", "content": text},
            "user_id": user,
            "timestamp": when,
            "metadata": {"line": line, "session": session},
            **({"run_id": session} if runs else {}),
        }
        for line, (session, when, text) in enumerate(CONVERSATION)
    ]
    items.insert(
        5,
        {
            "messages": [
                {"role": "assistant", "content": "Where does Emma work?"},
                {"role": "user", "name": "Ida", "content": "Emma works at Globex."},
            ],
            "user_id": user,
            "timestamp": "2024-01-05T10:04:30Z",
            **({"run_id": "s1"} if runs else {}),
        },
    )
    items.append(
        {
            "messages": "Note to self: buy milk.",
            "user_id": user,
            "run_id": "notes",
            "timestamp": "2024-05-02T08:00:00Z",
            "infer": False,
        }
    )
    return items


def two_owners(a: str, b: str) -> list[dict[str, Any]]:
    """Owner a's conversation and owner b's (told run by run), item by item in turn."""
    pairs = zip(conversation_items(a), conversation_items(b, runs=True), strict=True)
    return [item for pair in pairs for item in pair]


def add_one_by_one(memory: Memory, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [memory.add(item.pop("messages"), **item) for item in map(dict, items)]


# -- the normalized dump ----------------------------------------------------------------------


def dump(memory: Memory, user: str) -> dict[str, Any]:
    """A user's whole graph with ids, the user and transaction times normalized (see above)."""
    doc = memory.export(user_id=user)
    nodes, rels = doc["nodes"], doc["relationships"]
    ranks = _time_ranks([n["properties"] for n in nodes] + [r["properties"] for r in rels])
    names = {n["id"]: n["properties"]["name_key"] for n in nodes if "Entity" in n["labels"]}
    episodes = {
        n["id"]: f"{n['properties']['occurred_at']['$datetime']} {n['properties']['content']}"
        for n in nodes
        if n["labels"] == ["Episode"]
    }
    keys = {**names, **episodes}

    def props(p: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in p.items():
            if k in TX_TIMES and isinstance(v, dict):
                v = ranks[v["$datetime"]]
            elif v in (user, f"user:{user}"):
                v = "USER"
            elif k == "embedding" and isinstance(v, list):
                v = [round(x, 6) for x in v]
            elif k == "episode_ids":  # provenance, in the order it grew
                v = [episodes[e] for e in v]
            out[k] = v
        out.pop("id", None)
        return out

    facts = [r for r in rels if r["type"] != "MENTIONS"]
    first = {
        r["properties"]["memory_id"]: (r["type"], keys[r["start"]], keys[r["end"]])
        for r in sorted(facts, key=lambda r: -r["properties"]["version"])
    }  # each memory by its first version's ends

    def plain(record: dict[str, Any]) -> str:
        """An event of `history` / `changes` without ids and transaction times, in order."""
        kept = {k: v for k, v in record.items() if k not in TX_TIMES and not k.endswith("id")}
        kept["memory_id"] = first.get(record.get("memory_id") or record.get("id"))
        return _canon({k: "USER" if v == user else v for k, v in kept.items()})

    fact_rows = []
    for r in facts:
        p = props(r["properties"])
        p["memory_id"] = first[r["properties"]["memory_id"]]
        fact_rows.append(_canon([r["type"], keys[r["start"]], keys[r["end"]], p]))
    return {
        "entities": sorted(_canon([n["labels"], props(n["properties"])]) for n in nodes
                           if "Entity" in n["labels"]),
        "episodes": sorted(_canon(props(n["properties"])) for n in nodes
                           if n["labels"] == ["Episode"]),
        "mentions": sorted(_canon([keys[r["start"]], keys[r["end"]]]) for r in rels
                           if r["type"] == "MENTIONS"),
        "facts": sorted(fact_rows),
        "histories": sorted(_canon([plain(e) for e in memory.history(memory_id)])
                            for memory_id in first),
        "changes": _in_order(memory.changes(since="2000-01-01", user_id=user)["results"], plain),
    }  # fmt: skip


def _in_order(events: list[dict[str, Any]], plain: Any) -> list[list[str]]:
    """`changes` as groups of the events made at one time, in time order (within a group the
    store orders by random ids, so each group is sorted)."""
    groups: list[list[str]] = []
    last = object()
    for e in events:
        if e["updated_at"] != last:
            groups.append([])
            last = e["updated_at"]
        groups[-1].append(plain(e))
    return [sorted(group) for group in groups]


def _time_ranks(props: list[dict[str, Any]]) -> dict[str, str]:
    times = {p[k]["$datetime"] for p in props for k in TX_TIMES if isinstance(p.get(k), dict)}
    return {t: f"t{i}" for i, t in enumerate(sorted(times))}


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def events_of(results: list[dict[str, Any]]) -> list[list[tuple[Any, ...]]]:
    """Each call's fact events, without ids and transaction times."""
    keep = ("event", "source", "relationship", "target", "memory", "status", "valid_from",
            "valid_to", "version")  # fmt: skip
    return [
        [tuple(e.get(k) for k in keep) for e in r["results"] if e.get("type") != "episode"]
        for r in results
    ]


# -- equivalence ------------------------------------------------------------------------------


def test_add_many_stores_what_adding_one_by_one_stores(memory: Memory, user: str) -> None:
    """Two owners in one batch, their items in turn: each owner's graph is the one the same
    items added one by one give, and neither sees the other's entities or facts."""
    loop, batched_users = (f"{user}-a-loop", f"{user}-b-loop"), (f"{user}-a", f"{user}-b")
    one_by_one = add_one_by_one(memory, two_owners(*loop))
    batched = memory.add_many(two_owners(*batched_users))

    assert len(batched) == len(one_by_one) == 2 * len(conversation_items(user))
    assert events_of(batched) == events_of(one_by_one)
    expected = [dump(memory, u) for u in loop]
    assert [dump(memory, u) for u in batched_users] == expected
    # the conversation exercised what makes order matter
    events = {e[0] for call in events_of(one_by_one) for e in call}
    assert {"ADD", "UPDATE", "DELETE", "NOOP"} <= events
    whole, by_run = expected
    assert any('"superseded"' in f for f in whole["facts"])
    assert any(len(group) > 1 for group in whole["changes"])  # an UPDATE closes and opens
    emma = [e for e in whole["entities"] if '"emma stone"' in e]
    assert len(emma) == 1 and '"Emma"' in emma[0]  # "Emma" of item 1 became Emma Stone's alias
    assert not any('"name_key": "robert smith"' in e for e in whole["entities"])  # an alias
    assert by_run["facts"] != whole["facts"]  # the runs' facts did not reconcile across runs
    assert batched[-1]["results"][0]["type"] == "episode"  # the infer=False item
    first = memory.get_all(user_id=batched_users[0])["results"]
    sessions = {(f["metadata"] or {}).get("session") for f in first}
    assert sessions == {"s1", "s2", "s3", None}  # each item's own (None: the item without)


def test_batched_ingest_stores_what_adding_one_by_one_stores(memory: Memory, user: str) -> None:
    if not LOCOMO.exists():
        pytest.fail(f"{LOCOMO} is missing (the shared LoCoMo dev set)")
    loop_user, batch_user = f"{user}-loop", f"{user}-ingest"
    items = load_items(LOCOMO, defaults={"user_id": loop_user})[:90]
    for item in items:
        memory.add(
            {"role": item.role, "content": item.content, "name": item.name},
            **item.scope.ids(),
            metadata=item.metadata,
            timestamp=item.timestamp,
        )
    summary = memory.ingest(LOCOMO, user_id=batch_user, limit=90, batch_size=40, progress=False)
    assert (summary["stored"], summary["skipped"]) == (90, 0)
    expected, got = dump(memory, loop_user), dump(memory, batch_user)
    assert len(expected["facts"]) >= 3  # the slice states facts
    assert got == expected
    again = memory.ingest(LOCOMO, user_id=batch_user, limit=100, batch_size=40, progress=False)
    assert (again["stored"], again["skipped"]) == (10, 90)


# -- all or nothing ---------------------------------------------------------------------------


def test_an_invalid_item_stores_nothing_and_is_named(memory: Memory, user: str) -> None:
    items = conversation_items(user)[:4]
    items[2] = {**items[2], "timestamp": "soon"}
    with pytest.raises(ValidationError, match=r"items\[2\]: timestamp"):
        memory.add_many(items)
    items[2] = {**items[2], "timestamp": None, "colour": "red"}
    with pytest.raises(ValidationError, match=r"items\[2\]\.colour: unknown key"):
        memory.add_many(items)
    items[2] = {"messages": "I live in Oslo."}
    with pytest.raises(ValidationError, match=r"items\[2\]: .*user_id"):
        memory.add_many(items)
    assert memory.export(user_id=user)["nodes"] == []


def test_a_failed_write_stores_nothing_and_names_the_item(
    memory: Memory, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third item's write fails in the store (a duplicate episode id breaks the unique
    constraint) after the first two items' entities and facts were written: nothing stays."""
    real = writes.apply_fact

    def failing(ctx: Any, scope: Any, fact: Any, episode_ids: list[str], *args: Any) -> Any:
        if fact.object == "Globex":
            row = {k: None for k in ("role", "name", "content", "content_hash", "occurred_at",
                                     "now", "metadata", "embedding")}  # fmt: skip
            row.update(id=episode_ids[0], content="x", **scope.params())
            yield from batch.run("episode_create_many", episodes=[row])
        return (yield from real(ctx, scope, fact, episode_ids, *args))

    monkeypatch.setattr(writes, "apply_fact", failing)
    items = [
        {"messages": "I work at Acme.", "user_id": user, "timestamp": "2024-01-01T00:00:00Z"},
        {"messages": "I live in Rome.", "user_id": user, "timestamp": "2024-01-02T00:00:00Z"},
        {"messages": "I work at Globex.", "user_id": user, "timestamp": "2024-01-03T00:00:00Z"},
    ]
    with pytest.raises(StoreError, match=r"^items\[2\]: "):
        memory.add_many(items)
    assert memory.export(user_id=user)["nodes"] == []
    monkeypatch.setattr(writes, "apply_fact", real)
    assert len(memory.add_many(items)) == 3
    assert {f["target"] for f in memory.get_all(user_id=user)["results"]} == {"Globex", "Rome"}


# -- the LLM extractor ------------------------------------------------------------------------


def _chat_reply(content: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    choice = {"index": 0, "finish_reason": "stop", "message": message}
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [choice]}


def test_the_llm_extractor_makes_one_call_per_item(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    """One model call per item, each shown the facts of its scope from before the batch; a
    failed call names its item, and then nothing of the batch is stored."""
    from .openai_stub import openai_server

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        said = body["messages"][-1]["content"].split("<messages>")[-1]
        if "crash" in said:  # refused (a 5xx would be retried, then the item would wait)
            return 400, {"error": {"message": "model crashed", "type": "invalid_request_error"}}
        place = next(p for p in ("Globex", "Initech", "Acme", "Umbrella") if p in said)
        relation = {"subject": "Maya", "relation": "WORKS_AT", "object": place, "event": "ADD"}
        return 200, _chat_reply(json.dumps({"entities": [], "relations": [relation]}))

    def item(text: str, when: str) -> dict[str, Any]:
        message = {"role": "user", "content": text, "name": "Maya"}
        return {"messages": message, "user_id": user, "timestamp": when}

    llm = {"extractor": "llm", "llm": {"model": "scripted", "base_url": "", "api_key": "k"}}
    with openai_server(respond) as (base_url, received):
        llm["llm"]["base_url"] = base_url  # type: ignore[index]
        with Memory({**config, **llm}) as m:
            before = m.add(**item("I work at Initech.", "2023-01-01T00:00:00Z"))
            known = before["results"][0]["id"]
            received.clear()
            results = m.add_many(
                [item("I work at Acme.", "2024-01-01T00:00:00Z"),
                 item("Maya here: I switched to Globex.", "2024-06-01T00:00:00Z")]
            )  # fmt: skip
            shown = [r["body"]["messages"][-1]["content"] for r in received]
            received.clear()
            with pytest.raises(ExtractionError, match=r"^items\[1\]: .*model crashed"):
                m.add_many([item("I work at Umbrella.", "2025-01-01T00:00:00Z"),
                            item("crash, Maya", "2025-02-01T00:00:00Z")])  # fmt: skip
            assert len(received) == 2  # the first item's call, then the failed one
            history = [h["event"] for h in m.history(known)]
            contents = {n["properties"]["content"] for n in m.export(user_id=user)["nodes"]
                        if n["labels"] == ["Episode"]}  # fmt: skip
    assert len(shown) == 2  # one model call per item
    facts = [prompt.split("<messages>")[0] for prompt in shown]
    assert all(f"[{known}] Maya works at Initech" in f for f in facts)  # from before the batch
    assert "Acme" not in facts[1]  # not the batch's own first item's fact
    assert [[e["event"] for e in r["results"]] for r in results] == [["UPDATE"], ["UPDATE"]]
    assert results[0]["results"][0]["id"] == results[1]["results"][0]["id"] == known
    assert history == ["ADD", "UPDATE", "UPDATE"]
    assert not any("Umbrella" in c or "crash" in c for c in contents)  # nothing of that batch


# -- asyncio ----------------------------------------------------------------------------------


def test_async_add_many_stores_what_adding_one_by_one_stores(
    config: dict[str, Any], memory: Memory, user: str
) -> None:
    loop_user, async_user = f"{user}-loop", f"{user}-async"
    one_by_one = add_one_by_one(memory, conversation_items(loop_user)[:12])

    async def main() -> list[dict[str, Any]]:
        async with AsyncMemory(config) as m:
            items = [AddItem(**item) for item in conversation_items(async_user)[:12]]
            return await m.add_many(items)

    results = asyncio.run(main())
    assert events_of(results) == events_of(one_by_one)
    assert dump(memory, async_user) == dump(memory, loop_user)
    current = {(f["source"], f["relationship"], f["target"])
               for f in memory.get_all(user_id=async_user)["results"]}  # fmt: skip
    assert ("Ida", "WORKS_AT", "Globex") in current and ("Ida", "WORKS_AT", "Acme") not in current
    assert ("Ida", "DISLIKES", "jazz") in current


# -- the pure parts ---------------------------------------------------------------------------


def test_items_are_checked_whole_before_any_work() -> None:
    ok = {"messages": "hi", "user_id": "u"}
    assert [c.index for c in check_items([ok, AddItem(messages="yo", agent_id="a")])] == [0, 1]
    for bad, match in [
        ("hi", "a list of add items"),
        ({"messages": "hi"}, "a list of add items"),
        ([], "empty"),
        ([ok] * (MAX_ITEMS + 1), f"at most {MAX_ITEMS}"),
        ([ok, "hi"], r"items\[1\]: .*dictionary"),
        ([ok, {"user_id": "u"}], r"items\[1\]\.messages: Field required"),
        ([ok, {**ok, "messages": []}], r"items\[1\]: messages is empty"),
        ([ok, {**ok, "metadata": {"x": object()}}], r"items\[1\]: metadata"),
        ([ok, {**ok, "infer": "maybe"}], r"items\[1\]\.infer"),
    ]:
        with pytest.raises(ValidationError, match=match):
            check_items(bad)  # type: ignore[arg-type]


def test_extract_batch_equals_one_extract_per_call() -> None:
    from graphmem.extraction import BatchExtractor, ExtractionRequest
    from graphmem.extraction.offline import OfflineExtractor
    from graphmem.messages import normalize_messages

    extractor = OfflineExtractor()
    requests = [
        ExtractionRequest(
            normalize_messages(item["messages"]), "Ida", item["timestamp"] or "2024-01-01"
        )
        for item in conversation_items("u")
    ]
    single = [
        extractor.extract(r.messages, speaker=r.speaker, occurred_at=r.occurred_at)
        for r in requests
    ]
    assert isinstance(extractor, BatchExtractor)
    assert extractor.extract_batch(requests) == single
    assert sum(len(e.relations) for e in single) >= 20
    assert extractor.extract_batch([]) == []


# -- against the scripted store (no graph server) --------------------------------------------


class _CountingEmbedder:
    name, dimensions = "counting", 3

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Any) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[1.0, float(len(t)), 0.0] for t in texts]


class _WorksAt:
    """An extractor without `extract_batch`: "<place>" -> speaker WORKS_AT <place>; it fails
    on "crash" as the LLM extractor does when its model call fails."""

    def extract(self, messages: Any, *, speaker: str, occurred_at: str, existing: Any = None):
        from graphmem.errors import ExtractionError
        from graphmem.extraction import ExtractedRelation, Extraction

        if any(m.content == "crash" for m in messages):
            raise ExtractionError("the model crashed")

        return Extraction(
            relations=[
                ExtractedRelation(subject=speaker, relation="WORKS_AT", object=m.content)
                for m in messages
            ]
        )


class _BlindIndex:
    """An entity vector index that does not see the transaction's own writes (an empty
    store's index: it finds nothing)."""

    def similar_steps(self, owner: str, vector: Any, k: int = 10) -> Any:
        yield from ()
        return []


def _scripted_world(search: Any = None) -> tuple[Any, Any, Any]:
    """A Context over a scripted store that remembers the entities it was asked to create
    (so reads in the transaction see its writes, as the graph stores' do), with `search` as
    its entity vector lookup."""
    from graphmem.config import MemoryConfig
    from graphmem.context import Context
    from graphmem.ontology import load_ontology
    from graphmem.store.dialect import NEO4J

    from .helpers.scripted import ScriptedStore

    entities: dict[tuple[str, str], dict[str, Any]] = {}  # by (owner, name key)

    def script(q: Any) -> list[dict[str, Any]]:
        p = q.params
        if q.name == "entity_create":
            entity = {"id": p["id"], "name": p["name"], "type": p["type"]}
            entities[(p["owner"], p["name_key"])] = entity
            return [{"id": p["id"]}]
        if q.name == "entity_touch":
            found = entities.get((p["owner"], p["name_key"]))
            return [{"id": found["id"]}] if found else []
        if q.name == "entity_find_keys":
            return [{"name_key": k, "id": entities[(p["owner"], k)]["id"]} for k in p["name_keys"]
                    if (p["owner"], k) in entities]  # fmt: skip
        if q.name == "fact_create":
            ends = {e["id"]: e for e in entities.values()}
            record = {k: p[k] for k in ("id", "memory_id", "fact", "version", "status")}
            return [{"r": record, "relationship": q.rel_type,
                     "source": ends[p["subject_id"]], "target": ends[p["object_id"]]}]  # fmt: skip
        if q.name == "entity_get":
            return [e for e in entities.values() if e["id"] == p["id"]]
        if q.name in ("entity_candidates", "fact_current", "episode_existing", "feedback_rejected"):
            return []
        return [{"created": 1}]

    embedder = _CountingEmbedder()
    ctx = Context(
        MemoryConfig(),
        load_ontology(),
        embedder,
        NEO4J,
        entity_search=search,
        _extractor=_WorksAt(),  # type: ignore[arg-type]
    )
    return ctx, ScriptedStore(script), embedder


def test_one_embedding_call_and_one_transaction_per_batch() -> None:
    from .helpers.scripted import run_scripted

    ctx, store, embedder = _scripted_world()
    items = [
        {"messages": {"role": "user", "name": "Ida", "content": place}, "user_id": "ida"}
        for place in ("Acme", "Globex", "Acme")
    ]
    results = run_scripted(batch.add_many(ctx, items), store)

    assert [[e["event"] for e in r["results"]] for r in results] == [["ADD"], ["ADD"], ["ADD"]]
    assert len(embedder.calls) == 1  # the messages, the fact sentences and the names: once
    assert set(embedder.calls[0]) == {"Acme", "Globex", "Ida", "Ida works at Acme",
                                      "Ida works at Globex"}  # fmt: skip
    assert store.transactions == 1
    names = store.in_transaction(1)
    assert names[0] == "episode_create_many"
    assert names[-2:] == ["episode_link_many", "webhook_enqueue"]  # the outbox, for all items
    assert names.count("episode_create_many") == names.count("episode_link_many") == 1
    queued = store.params_of("webhook_enqueue")[0]["events"]
    assert [(e["event"], e["owner"], e["n"]) for e in queued] == [
        ("memory_add", "user:ida", n) for n in range(3)
    ]
    assert len(store.params_of("episode_create_many")[0]["episodes"]) == 3
    # item 2 and 3 find the entities item 1 created, inside the same transaction
    assert [p["name"] for p in store.params_of("entity_create")] == ["Ida", "Acme", "Globex"]
    # before the transaction, one read of what the owner marked wrong (graphmem.feedback)
    assert (store.calls[0].kind, store.calls[0].name) == ("read", "feedback_rejected")
    assert [c.kind for c in store.calls[1:]] == ["write"] * (len(store.calls) - 1)
    times = [r["episodes"][0]["created_at"] for r in results]
    assert times == sorted(times) and len(set(times)) == 3  # one time per item, in order


def test_a_name_resolves_by_vector_to_an_entity_made_earlier_in_the_batch() -> None:
    """ "Acmx" is no exact name and too short to be a close spelling, and its vector is "Acme"'s
    (the counting embedder's vectors are alike for texts of one length): `add` would find the
    entity the call before created in the index; in the batch the index does not see it yet,
    so the batch's lookup adds it, and "Acmx" becomes an alias of item 0's Acme."""
    from .helpers.scripted import run_scripted

    ctx, store, _ = _scripted_world(_BlindIndex())
    items = [
        {"messages": {"role": "user", "name": "Ida", "content": place}, "user_id": user}
        for place, user in (("Acme", "ida"), ("Acmx", "bo"), ("Acmx", "ida"))
    ]
    results = run_scripted(batch.add_many(ctx, items), store)
    created = {
        p["name"]: p["id"] for p in store.params_of("entity_create") if p["owner"] == "user:ida"
    }
    assert sorted(created) == ["Acme", "Ida"]  # bo's "Acmx" is not ida's: bo made its own
    assert [p["alias"] for p in store.params_of("entity_alias")] == ["Acmx"]
    assert results[2]["results"][0]["target_id"] == created["Acme"]


def test_the_lookup_in_the_batch_adds_the_entities_it_created() -> None:
    class Store:
        def similar_steps(self, owner: str, vector: Any, k: int = 10) -> Any:
            yield from ()
            return [{"id": "old", "name": "Emma", "type": "Person", "score": 0.5}]

    created = [
        {"id": "new", "owner": "user:a", "name": "Emma S", "type": "Person", "embedding": [1, 0]},
        {"id": "other", "owner": "user:b", "name": "Emma", "type": "Person", "embedding": [1, 0]},
        {"id": "old", "owner": "user:a", "name": "Emma", "type": "Person", "embedding": [0, 1]},
    ]
    lookup = batch._BatchLookup(Store(), created)  # type: ignore[arg-type]
    from .helpers.scripted import run_scripted

    found = run_scripted(lookup.similar_steps("user:a", [1.0, 0.0], 3))
    assert [(h["id"], round(h["score"], 3)) for h in found] == [("new", 1.0), ("old", 0.5)]


def test_a_failed_extraction_names_the_item_and_writes_nothing() -> None:
    from graphmem.errors import ExtractionError

    from .helpers.scripted import run_scripted

    ctx, store, embedder = _scripted_world()
    items = [
        {"messages": place, "user_id": "ida"} for place in ("Acme", "Globex", "crash", "Initech")
    ]
    with pytest.raises(ExtractionError, match=r"^items\[2\]: the model crashed$"):
        run_scripted(batch.add_many(ctx, items), store)
    assert store.transactions == 0 and embedder.calls == []
    items[2] = {"messages": "Acme", "user_id": "ida", "infer": False}  # skips the extractor
    results = run_scripted(batch.add_many(ctx, items), store)
    assert [len(r["results"]) for r in results] == [1, 1, 1, 1]
    assert results[2]["results"][0]["type"] == "episode" and "relations" not in results[2]
    assert store.transactions == 1


def test_the_async_driver_runs_the_same_statements() -> None:
    from graphmem.store.drivers import run_async

    from .helpers.scripted import AsyncScriptedStore, run_scripted

    items = [
        {"messages": {"role": "user", "name": "Ida", "content": place}, "user_id": user}
        for place, user in (("Acme", "ida"), ("Acme", "bo"), ("Globex", "ida"))
    ]
    ctx, store, _ = _scripted_world()
    sync_events = events_of(run_scripted(batch.add_many(ctx, items), store))
    actx, astore, _ = _scripted_world()
    async_events = events_of(
        asyncio.run(run_async(batch.add_many(actx, items), AsyncScriptedStore(astore)))
    )
    assert async_events == sync_events
    assert astore.names == store.names and astore.transactions == 1
    # each owner's "Ida" and "Acme" are its own entities
    assert [(p["owner"], p["name"]) for p in store.params_of("entity_create")] == [
        ("user:ida", "Ida"), ("user:ida", "Acme"), ("user:bo", "Ida"), ("user:bo", "Acme"),
        ("user:ida", "Globex"),
    ]  # fmt: skip


def test_ingest_splits_a_batch_larger_than_max_items(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphmem import ingest as ingest_module

    from .helpers.scripted import ScriptedStore, run_scripted

    monkeypatch.setattr(ingest_module, "MAX_ITEMS", 2)
    ctx, _, embedder = _scripted_world()
    store = ScriptedStore({"episode_existing": [], "episode_create_many": [{"created": 1}]})
    records = [{"user_id": "ida", "content": f"line {i}"} for i in range(5)]
    summary = run_scripted(
        ingest_module.ingest(ctx, records, infer=False, batch_size=10, progress=False), store
    )
    assert summary["stored"] == 5 and store.transactions == 3  # 2 + 2 + 1 items
    assert [len(p["episodes"]) for p in store.params_of("episode_create_many")] == [2, 2, 1]
    assert len(embedder.calls) == 3  # one embedding call per add_many


def test_a_failed_ingest_batch_names_the_input_record() -> None:
    from graphmem.errors import ExtractionError
    from graphmem.ingest import ingest

    from .helpers.scripted import run_scripted

    ctx, store, _ = _scripted_world()
    records = [{"user_id": "ida", "content": c} for c in ("Acme", "Globex", "Initech", "crash")]
    with pytest.raises(ExtractionError, match=r"^record 4: the model crashed$"):
        run_scripted(ingest(ctx, records, batch_size=2, progress=False), store)
    assert store.transactions == 1  # the first batch; nothing of the second

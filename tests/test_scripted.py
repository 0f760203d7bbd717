"""The protocol core without a network: operations and the drivers against a scripted store.

Every operation is a generator of `graphmem.effects` steps; here the real operations of
`graphmem.reads` and `graphmem.writes` run with the real drivers (`graphmem.store.drivers`),
answered from scripted rows (`tests/helpers/scripted.py`). No graph server, no JVM.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graphmem import reads, writes
from graphmem.effects import (
    Compute,
    Read,
    ReadAll,
    TxSteps,
    compute,
    query,
    read,
    read_all,
    resume,
    run,
    write,
)
from graphmem.errors import NotFoundError, StoreError, ValidationError
from graphmem.store.drivers import drive, run_async, run_sync

from .helpers.scripted import (
    AsyncScriptedStore,
    ScriptedStore,
    UnscriptedStatement,
    one_after_another,
    run_scripted,
)


def version(
    n: int,
    target: str,
    status: str,
    *,
    valid_from: str,
    valid_to: str | None = None,
    expired_at: str | None = None,
) -> dict[str, Any]:
    """One row of `fact_versions`: version `n` of memory m1, "Alice works at <target>"."""
    return {
        "r": {
            "id": f"v{n}",
            "memory_id": "m1",
            "fact": f"Alice works at {target}",
            "version": n,
            "status": status,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "recorded_at": valid_from,
            "expired_at": expired_at,
            "created_at": "2023-03-01T00:00:00+00:00",
            "user_id": "alice",
            "episode_ids": [],
        },
        "relationship": "WORKS_AT",
        "source": {"id": "e-alice", "name": "Alice", "type": "Person"},
        "target": {"id": f"e-{target.lower()}", "name": target, "type": "Organization"},
    }


ACME = version(
    1,
    "Acme",
    "superseded",
    valid_from="2023-03-01T00:00:00+00:00",
    valid_to="2024-08-01T00:00:00+00:00",
    expired_at="2024-08-01T00:00:00+00:00",
)
GLOBEX = version(2, "Globex", "current", valid_from="2024-08-01T00:00:00+00:00")
QUEUED = {"webhook_enqueue": [{"queued": 0}]}  # the outbox statement of every write

# -- real operations, scripted rows ----------------------------------------------------------


def test_get_reads_the_versions_and_returns_the_latest() -> None:
    store = ScriptedStore({"fact_versions": [ACME, GLOBEX]})
    found = run_scripted(reads.get(None, "m1"), store)  # type: ignore[arg-type]
    assert found is not None
    assert (found["memory"], found["version"], found["status"]) == (
        "Alice works at Globex",
        2,
        "current",
    )
    assert found["valid_from"] == "2024-08-01T00:00:00+00:00" and found["target_id"] == "e-globex"
    assert store.statements == [("fact_versions", {"memory_id": "m1"})]
    assert [c.kind for c in store.calls] == ["read"] and store.transactions == 0
    assert run_scripted(reads.get(None, "m2"), {"fact_versions": []}) is None  # type: ignore[arg-type]


def test_history_tells_each_change_oldest_first() -> None:
    deleted = {**GLOBEX, "r": {**GLOBEX["r"], "status": "deleted",
                               "expired_at": "2025-01-01T00:00:00+00:00"}}  # fmt: skip
    events = run_scripted(
        reads.history(None, "m1"),  # type: ignore[arg-type]
        {"fact_versions": [ACME, deleted], "feedback_of_memory": []},
    )
    assert [(e["event"], e["old_memory"], e["new_memory"]) for e in events] == [
        ("ADD", None, "Alice works at Acme"),
        ("UPDATE", "Alice works at Acme", "Alice works at Globex"),
        ("DELETE", "Alice works at Globex", None),
    ]
    assert events[-1]["updated_at"] == "2025-01-01T00:00:00+00:00"
    with pytest.raises(NotFoundError, match="m9"):
        run_scripted(reads.history(None, "m9"), {"fact_versions": []})  # type: ignore[arg-type]
    store = ScriptedStore()
    with pytest.raises(ValidationError):  # checked before any statement is asked for
        run_scripted(reads.history(None, ""), store)  # type: ignore[arg-type]
    assert store.calls == []


def test_get_all_filters_and_pages_what_the_store_returned() -> None:
    home = {
        **GLOBEX,
        "relationship": "LIVES_IN",
        "r": {**GLOBEX["r"], "id": "v9", "memory_id": "m2", "metadata": '{"topic": "home"}'},
    }
    store = ScriptedStore({"fact_list": [GLOBEX, home]})
    page = run_scripted(
        reads.get_all(None, user_id="alice", filters={"topic": "home"}),  # type: ignore[arg-type]
        store,
    )
    assert [f["id"] for f in page["results"]] == ["m2"]
    [(name, params)] = store.statements
    assert name == "fact_list" and params["skip"] == 0  # filtered after reading, then paged
    with pytest.raises(ValidationError):
        run_scripted(reads.get_all(None, user_id="alice", page=0), store)  # type: ignore[arg-type]
    assert len(store.calls) == 1


def test_delete_reads_then_closes_the_current_version_in_one_transaction() -> None:
    store = ScriptedStore({"fact_versions": [ACME, GLOBEX], "fact_close": [{"id": "v2"}], **QUEUED})
    out = run_scripted(writes.delete(None, "m1"), store)  # type: ignore[arg-type]
    assert out["results"][0]["event"] == "DELETE" and out["results"][0]["status"] == "deleted"
    assert store.names == ["fact_versions", "fact_close", "webhook_enqueue"]
    assert store.transactions == 1
    assert store.in_transaction(1) == ["fact_close", "webhook_enqueue"]  # the outbox, too
    [queued] = store.params_of("webhook_enqueue")[0]["events"]
    assert (queued["event"], queued["memory_id"], queued["owner"]) == (
        "memory_delete",
        "m1",
        "user:alice",
    )
    [closed] = store.params_of("fact_close")
    assert (closed["id"], closed["memory_id"], closed["status"]) == ("v2", "m1", "deleted")
    assert [c.rel_type for c in store.calls if c.name == "fact_close"] == ["WORKS_AT"]
    assert closed["valid_to"] == closed["now"]


def test_an_error_inside_the_transaction_reaches_the_caller() -> None:
    store = ScriptedStore({"fact_versions": [ACME, GLOBEX], "fact_close": []})  # a lost race
    with pytest.raises(ValidationError, match="changed while this call ran"):
        run_scripted(writes.delete(None, "m1"), store)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="superseded"):  # no current version to delete
        run_scripted(writes.delete(None, "m1"), {"fact_versions": [ACME]})  # type: ignore[arg-type]


def test_the_scripted_store_checks_statements_as_the_graph_store_does() -> None:
    with pytest.raises(TypeError, match=r"fact_versions\.cypher: missing params \['memory_id'\]"):
        run_scripted(read("fact_versions", id="m1"), {"fact_versions": []})
    with pytest.raises(FileNotFoundError):
        run_scripted(read("no_such_statement"), {"no_such_statement": []})
    with pytest.raises(UnscriptedStatement, match="fact_versions"):
        run_scripted(reads.get(None, "m1"), {})  # type: ignore[arg-type]
    unchecked = ScriptedStore(default=[{"n": 1}], check=False)
    assert run_scripted(read("anything", x=1), unchecked) == [{"n": 1}]
    rows = [{"r": {"id": "a"}}]
    store = ScriptedStore({"fact_versions": rows})
    run_scripted(read("fact_versions", memory_id="m1"), store)[0]["r"]["id"] = "edited"
    assert rows == [{"r": {"id": "a"}}]  # answers are copies


# -- the effects / driver contract -----------------------------------------------------------


def test_a_store_error_is_thrown_into_the_operation() -> None:
    def tolerant() -> Any:
        try:
            yield from read("entity_count")
        except StoreError as exc:
            return f"handled: {exc}"
        return "not reached"

    down = StoreError("the server is down")
    assert run_scripted(tolerant(), {"entity_count": down}) == "handled: the server is down"

    def strict() -> Any:
        rows = yield from read("entity_count")
        return rows

    with pytest.raises(StoreError) as caught:
        run_scripted(strict(), {"entity_count": down})
    assert caught.value is down  # the store's own exception, not a wrapper


def test_read_all_answers_in_order_in_one_step() -> None:
    def op() -> Any:
        a, b, c = yield from read_all(
            query("entity_count"), query("fact_versions", memory_id="m1"), query("entity_count")
        )
        return a, b, c

    counts = one_after_another([{"count": 1}], [{"count": 2}])
    store = ScriptedStore({"entity_count": counts, "fact_versions": [{"r": "v"}]})
    assert run_scripted(op(), store) == ([{"count": 1}], [{"r": "v"}], [{"count": 2}])
    assert store.batches == [("entity_count", "fact_versions", "entity_count")]
    assert store.names == ["entity_count", "fact_versions", "entity_count"]


def test_a_write_runs_its_work_with_the_same_stepping_loop() -> None:
    calls = 0

    def work() -> TxSteps[int]:
        nonlocal calls
        calls += 1
        a = yield from run("entity_count")
        b = yield from run("entity_count")
        return int(a[0]["count"]) + int(b[0]["count"])

    def op() -> Any:
        first = yield from write(work)
        counted = yield from compute(lambda x, y: x * y, first, 10)
        return counted

    store = ScriptedStore({"entity_count": [{"count": 2}]})
    assert run_scripted(op(), store) == 40
    assert calls == 1 and store.in_transaction(1) == ["entity_count", "entity_count"]

    def bad_work() -> Any:
        yield Read(query("entity_count"))  # only Query steps inside a transaction

    with pytest.raises(TypeError, match="Query steps only"):
        run_scripted(write(bad_work), store)


def test_resume_sends_throws_and_reports_the_end() -> None:
    def op() -> Any:
        try:
            rows = yield "first"
        except KeyError:
            rows = yield "after the error"
        return rows

    steps = op()
    assert resume(steps, None) == (False, "first")
    assert resume(steps, None, KeyError("x")) == (False, "after the error")
    assert resume(steps, ["rows"]) == (True, ["rows"])

    unhandled = op()
    resume(unhandled, None)
    with pytest.raises(ValueError, match="boom"):  # not handled: raised out of resume
        resume(unhandled, None, ValueError("boom"))


def test_drive_answers_until_the_end_and_run_sync_refuses_unknown_steps() -> None:
    def op() -> Any:
        a = yield 1
        b = yield 2
        return a + b

    seen: list[int] = []

    def answer(step: int) -> int:
        seen.append(step)
        return step * 10

    assert drive(op(), answer) == 30
    assert seen == [1, 2]

    def strange() -> Any:
        yield "not a step"

    with pytest.raises(TypeError, match="not a graphmem.effects step"):
        run_sync(strange(), ScriptedStore())
    assert Compute(len, ([1],)) == Compute(len, ([1],))  # the steps are plain data
    assert ReadAll(()).queries == () and Read(query("x")) == Read(query("x"))


# -- one operation, two drivers --------------------------------------------------------------


def test_the_asyncio_driver_asks_the_same_statements() -> None:
    script = {"fact_versions": [ACME, GLOBEX], "fact_close": [{"id": "v2"}], **QUEUED}
    blocking, awaited = ScriptedStore(script), ScriptedStore(script)
    sync_out = run_sync(writes.delete(None, "m1"), blocking)  # type: ignore[arg-type]
    async_out = asyncio.run(
        run_async(writes.delete(None, "m1"), AsyncScriptedStore(awaited))  # type: ignore[arg-type]
    )
    assert sync_out["results"][0]["id"] == async_out["results"][0]["id"] == "m1"
    assert [(c.kind, c.name, c.tx) for c in blocking.calls] == [
        (c.kind, c.name, c.tx) for c in awaited.calls
    ]

    async def compute_in_a_thread() -> int:
        return await run_async(compute(sum, [1, 2, 3]), AsyncScriptedStore(ScriptedStore()))

    assert asyncio.run(compute_in_a_thread()) == 6

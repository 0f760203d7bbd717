"""`batch_update` and `batch_delete`: many memories in one write transaction, all or nothing,
every bad item named (the REST routes are in test_client.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.checks import BATCH_MAX
from graphmem.errors import NotFoundError, ValidationError

CITIES = ["Lima", "Kyiv", "Oslo", "Rome"]


def _facts(memory: Memory, user: str, n: int) -> list[str]:
    people = ["Ann", "Bob", "Cy", "Dee", "Eve", "Fay"][:n]
    return [
        memory.add_relation(p, "LIKES", "tea", user_id=user)["results"][0]["id"] for p in people
    ]


def _state(memory: Memory, user: str) -> dict[str, tuple[str, int]]:
    return {f["id"]: (f["target"], f["version"]) for f in memory.get_all(user_id=user)["results"]}


def test_batch_update_writes_every_next_version(memory: Memory, user: str) -> None:
    a, b, c = _facts(memory, user, 3)
    out = memory.batch_update(
        [
            {"memory_id": a, "data": "jazz"},
            {"memory_id": b, "data": {"object": "chess", "valid_from": "2024-01-01"}},
            {"memory_id": c, "data": "sushi", "metadata": {"why": "batch"}},
        ]
    )["results"]
    assert [(e["event"], e["id"], e["target"], e["version"]) for e in out] == [
        ("UPDATE", a, "jazz", 2),
        ("UPDATE", b, "chess", 2),
        ("UPDATE", c, "sushi", 2),
    ]
    assert _state(memory, user) == {a: ("jazz", 2), b: ("chess", 2), c: ("sushi", 2)}
    assert [v["new_memory"] for v in memory.history(a)] == ["Ann likes tea", "Ann likes jazz"]
    assert memory.get(c)["metadata"] == {"why": "batch"}


def test_a_bad_item_is_named_and_nothing_is_written(memory: Memory, user: str) -> None:
    a, b = _facts(memory, user, 2)
    before = _state(memory, user)
    cases: list[tuple[Any, type[Exception], str]] = [
        (
            [{"memory_id": a, "data": "jazz"}, {"memory_id": "LIKES-nope", "data": "x"}],
            NotFoundError,
            "item 1 ('LIKES-nope')",
        ),
        (
            [{"memory_id": a, "data": "jazz"}, {"memory_id": b, "data": {"colour": "red"}}],
            ValidationError,
            f"item 1 ({b!r})",
        ),
        ([{"memory_id": a, "data": "jazz"}, {"memory_id": b}], ValidationError, "item 1"),
        (
            [{"memory_id": a, "data": "jazz"}, {"memory_id": a, "data": "chess"}],
            ValidationError,
            "named twice",
        ),
        ([{"memory_id": a, "data": "jazz"}, "not a dict"], ValidationError, "item 1"),
        ([], ValidationError, "non-empty list"),
        ({"memory_id": a, "data": "jazz"}, ValidationError, "non-empty list"),
        ([{"memory_id": a, "data": "jazz"}] * (BATCH_MAX + 1), ValidationError, "at most 1000"),
    ]
    for items, error, says in cases:
        with pytest.raises(error, match=r"\S") as raised:
            memory.batch_update(items)
        assert says in str(raised.value), (items, raised.value)
        assert _state(memory, user) == before, items
    memory.delete(b)
    with pytest.raises(NotFoundError, match=f"item 1 \\({b!r}\\).*no current version"):
        memory.batch_update([{"memory_id": a, "data": "jazz"}, {"memory_id": b, "data": "x"}])
    assert _state(memory, user) == {a: before[a]}


def test_batch_delete_closes_each_or_none(memory: Memory, user: str) -> None:
    a, b, c = _facts(memory, user, 3)
    with pytest.raises(NotFoundError, match="item 2 \\('LIKES-gone'\\)"):
        memory.batch_delete([a, b, "LIKES-gone"])
    with pytest.raises(ValidationError, match="named twice"):
        memory.batch_delete([a, a])
    assert set(_state(memory, user)) == {a, b, c}
    out = memory.batch_delete([c, a])["results"]
    assert [(e["event"], e["id"], e["status"]) for e in out] == [
        ("DELETE", c, "deleted"),
        ("DELETE", a, "deleted"),
    ]
    assert set(_state(memory, user)) == {b}
    assert [v["event"] for v in memory.history(a)] == ["ADD", "DELETE"]
    with pytest.raises(NotFoundError, match="item 1"):  # closed now
        memory.batch_delete([b, a])
    assert set(_state(memory, user)) == {b}


@pytest.mark.store
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(CITIES) | st.none()), min_size=1, max_size=4
    )
)
def test_a_batch_ends_where_the_calls_one_by_one_end(
    memory: Memory, plan: list[tuple[int, str | None]]
) -> None:
    """The same updates (a city) and deletes (None) of distinct memories, as one batch of each
    for one user and call by call for another, leave the same facts and versions."""
    plan = list({index: change for index, change in plan}.items())  # one change per memory
    states = []
    for batched in (True, False):
        user = f"batch-{batched}-{id(plan)}-{len(states)}"
        memory.delete_all(user_id=user)
        ids = [
            memory.add_relation(p, "LIVES_IN", "Paris", user_id=user)["results"][0]["id"]
            for p in ["Ann", "Bob", "Cy", "Dee"]
        ]
        updates = [{"memory_id": ids[i], "data": city} for i, city in plan if city]
        deletes = [ids[i] for i, city in plan if city is None]
        if batched:
            if updates:
                memory.batch_update(updates)
            if deletes:
                memory.batch_delete(deletes)
        else:
            for item in updates:
                memory.update(item["memory_id"], item["data"])
            for memory_id in deletes:
                memory.delete(memory_id)
        facts = memory.get_all(user_id=user)["results"]
        states.append(sorted((f["source"], f["target"], f["version"]) for f in facts))
        memory.delete_all(user_id=user)
    assert states[0] == states[1]

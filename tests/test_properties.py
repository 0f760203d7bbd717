"""Property tests: random add_relation / update / delete sequences for two users, checked
against a plain-Python model of what the memory must believe and keep."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory, NotFoundError

SUBJECTS = ["Ann", "Ben"]
OBJECTS = ["Oslo", "Rome", "Lima"]
RELATIONS = ["LIVES_IN", "LIKES"]  # cardinality one / many in the default ontology


@st.composite
def op(draw: st.DrawFn) -> tuple:
    """One operation; adds are three times as likely, so repeats and functional updates are
    common within a short sequence."""
    kind = draw(st.sampled_from(["add", "add", "add", "update", "delete"]))
    if kind == "add":
        return (
            "add",
            draw(st.integers(0, 1)),
            draw(st.sampled_from(SUBJECTS)),
            draw(st.sampled_from(RELATIONS)),
            draw(st.sampled_from(OBJECTS)),
        )
    if kind == "update":
        return ("update", draw(st.integers(0, 20)), draw(st.sampled_from(OBJECTS)))
    return ("delete", draw(st.integers(0, 20)))


@dataclass
class Fact:
    user: int
    subject: str
    relation: str
    versions: list[str] = field(default_factory=list)  # objects, one per version
    deleted: bool = False

    @property
    def current(self) -> str | None:
        return None if self.deleted else self.versions[-1]


def expected_event(
    model: dict[str, Fact], user: int, s: str, r: str, o: str
) -> tuple[str, set[str]]:
    """The event an add must give and the memories it may touch (an explicit update can make
    two memories hold the same fact; a repeat may then join either)."""
    live = [
        (mid, f)
        for mid, f in model.items()
        if f.user == user and f.subject == s and f.relation == r and f.current is not None
    ]
    same = {mid for mid, f in live if f.current == o}
    if same:
        return "NOOP", same
    if r == "LIVES_IN" and live:
        return "UPDATE", {live[0][0]}
    return "ADD", set()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(op(), min_size=4, max_size=14))
def test_random_histories_keep_every_version(memory: Memory, ops: list[tuple]) -> None:
    users = [f"p-{uuid.uuid4().hex[:8]}", f"q-{uuid.uuid4().hex[:8]}"]
    model: dict[str, Fact] = {}
    order: list[str] = []
    for step in ops:
        if step[0] == "add":
            _, u, s, r, o = step
            event, mids = expected_event(model, u, s, r, o)
            out = memory.add_relation(s, r, o, user_id=users[u])["results"][0]
            assert out["event"] == event
            if event == "ADD":
                model[out["id"]] = Fact(u, s, r, [o])
                order.append(out["id"])
            else:
                assert out["id"] in mids
                if event == "UPDATE":
                    model[out["id"]].versions.append(o)
        elif order:
            mid = order[step[1] % len(order)]
            fact = model[mid]
            if fact.deleted:
                try:
                    (memory.update(mid, step[2]) if step[0] == "update" else memory.delete(mid))
                except NotFoundError:
                    continue
                raise AssertionError("a deleted memory accepted a change")
            if step[0] == "update":
                memory.update(mid, step[2])
                fact.versions.append(step[2])
            else:
                memory.delete(mid)
                fact.deleted = True

    for mid, fact in model.items():
        history = memory.history(mid)
        changes = [h for h in history if h["event"] != "DELETE"]
        # nothing lost: one version per accepted change, numbered 1..n without gaps
        assert [h["version"] for h in changes] == list(range(1, len(fact.versions) + 1))
        assert [h["target"] for h in changes] == fact.versions
        assert sum(h["status"] == "current" for h in changes) == (0 if fact.deleted else 1)
        assert (history[-1]["event"] == "DELETE") == fact.deleted
        for h in changes:
            if h["valid_to"] and h["valid_from"]:
                assert h["valid_to"] >= h["valid_from"]

    for u, user_id in enumerate(users):
        got = memory.get_all(user_id=user_id)["results"]
        assert all(f["user_id"] == user_id for f in got)  # no cross-user visibility
        expected = {
            (f.subject, f.relation, f.current)
            for f in model.values()
            if f.user == u and f.current is not None
        }
        assert {(f["source"], f["relationship"], f["target"]) for f in got} == expected
        lives = [f["source"] for f in got if f["relationship"] == "LIVES_IN"]
        assert len(lives) == len(set(lives))  # one current value per functional relation


# -- timelines: functional facts told in any order, read back at any instant -----------------

CITIES = ["Oslo", "Rome", "Lima", "Kyiv"]


@st.composite
def timeline(draw: st.DrawFn) -> list[tuple[int, str, int, str]]:
    """(user, subject, day, city) moves on distinct days, in the order they are told (not
    necessarily the order they happened)."""
    size = draw(st.integers(1, 9))
    days = draw(st.lists(st.integers(1, 300), min_size=size, max_size=size, unique=True))
    return [
        (
            draw(st.integers(0, 2)),
            draw(st.sampled_from(SUBJECTS)),
            day,
            draw(st.sampled_from(CITIES)),
        )
        for day in days
    ]


def day(n: int) -> str:
    """Midnight UTC of day `n` after 2024-01-01, ISO 8601."""
    return f"{(date(2024, 1, 1) + timedelta(days=n)).isoformat()}T00:00:00+00:00"


def reference(events: list[tuple[int, str, int, str]], user: int, at: int) -> set[tuple[str, str]]:
    """Where each of the user's subjects lived at noon of day `at`: the latest move before."""
    out = {}
    for u, s, d, city in sorted(events, key=lambda e: e[2]):
        if u == user and d <= at:
            out[s] = city
    return set(out.items())


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=timeline(), probes=st.lists(st.integers(0, 310), min_size=3, max_size=6))
def test_timelines_match_a_reference_model(
    memory: Memory, events: list[tuple[int, str, int, str]], probes: list[int]
) -> None:
    run = uuid.uuid4().hex[:8]
    users = [f"tl-{run}-{i}" for i in range(3)]
    memories: dict[tuple[int, str], set[str]] = {}
    for u, s, d, city in events:
        out = memory.add_relation(s, "LIVES_IN", city, user_id=users[u], valid_from=day(d))
        event = out["results"][0]
        assert event["event"] in ("ADD", "UPDATE", "NOOP")
        memories.setdefault((u, s), set()).add(event["id"])
    for i, user in enumerate(users):
        now = memory.get_all(user_id=user)["results"]
        # One current value per (subject, functional relation); no other user's facts.
        assert len({f["source"] for f in now}) == len(now)
        assert all(f["user_id"] == user for f in now)
        latest = reference(events, i, 10_000)
        assert {(f["source"], f["target"]) for f in now} == latest
        for at in probes:
            seen = memory.get_all(user_id=user, as_of=f"{day(at)[:10]}T12:00:00Z")["results"]
            assert {(f["source"], f["target"]) for f in seen} == reference(events, i, at)
    for (u, s), ids in memories.items():
        assert len(ids) == 1  # one memory per (user, subject, functional relation)
        chain = memory.history(ids.pop())
        # nothing lost, nothing invented: one version per run of equal values in day order
        runs: list[tuple[str, str]] = []
        for d, city in sorted((d, city) for uu, ss, d, city in events if (uu, ss) == (u, s)):
            if not runs or runs[-1][0] != city:
                runs.append((city, day(d)))
        assert [(c["target"], c["valid_from"]) for c in chain] == runs
        assert [c["version"] for c in chain] == list(range(1, len(runs) + 1))
        assert [c["valid_to"] for c in chain] == [c["valid_from"] for c in chain[1:]] + [None]
    for user in users:
        memory.delete_all(user_id=user)


def test_a_repeat_of_a_fact_two_memories_hold_joins_one(memory: Memory) -> None:
    """The case hypothesis found: an explicit update made two memories say the same."""
    test_random_histories_keep_every_version.hypothesis.inner_test(
        memory,
        [
            ("add", 0, "Ann", "LIKES", "Rome"),
            ("add", 0, "Ann", "LIKES", "Oslo"),
            ("update", 1, "Rome"),
            ("add", 0, "Ann", "LIKES", "Rome"),
        ],
    )


PEOPLE = ["Ann", "Ben", "Cat", "Dan"]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)).filter(lambda p: p[0] != p[1]),
        min_size=2,
        max_size=8,
    )
)
def test_a_symmetric_functional_relation_keeps_one_current_value_per_person(
    memory: Memory, pairs: list[tuple[str, str]]
) -> None:
    """MARRIED_TO is symmetric with one value: whoever marries, at either end, the pair told
    last is current, nobody has two current spouses, and every change stays in history."""
    user = f"m-{uuid.uuid4().hex[:8]}"
    changes, memories = 0, set()
    for i, (a, b) in enumerate(pairs):
        [event] = memory.add_relation(
            a, "MARRIED_TO", b, user_id=user, valid_from=f"{2000 + i}-01-01"
        )["results"]
        changes += event["event"] in ("ADD", "UPDATE")
        memories.add(event["id"])
        current = [
            {f["source"], f["target"]}
            for f in memory.get_all(user_id=user)["results"]
            if f["relationship"] == "MARRIED_TO"
        ]
        assert {a, b} in current
        for person in PEOPLE:
            assert sum(person in pair for pair in current) <= 1, (person, current)
    assert sum(len(memory.history(mid)) for mid in memories) == changes
    memory.delete_all(user_id=user)

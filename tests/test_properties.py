"""Property tests: random add_relation / update / delete sequences for two users, checked
against a plain-Python model of what the memory must believe and keep."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

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
) -> tuple[str, str | None]:
    live = [
        (mid, f)
        for mid, f in model.items()
        if f.user == user and f.subject == s and f.relation == r and f.current is not None
    ]
    for mid, f in live:
        if f.current == o:
            return "NOOP", mid
    if r == "LIVES_IN" and live:
        return "UPDATE", live[0][0]
    return "ADD", None


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
            event, mid = expected_event(model, u, s, r, o)
            out = memory.add_relation(s, r, o, user_id=users[u])["results"][0]
            assert out["event"] == event
            if event == "ADD":
                model[out["id"]] = Fact(u, s, r, [o])
                order.append(out["id"])
            else:
                assert out["id"] == mid
                if event == "UPDATE":
                    model[mid].versions.append(o)
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

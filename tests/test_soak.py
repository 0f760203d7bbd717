"""The soak (`benchmarks/soak.py`, issue 17 item 3): a short run of it against a real
`graphmem serve` must keep every invariant with no error; and the invariant checks and the
reference model, on hand-made data, catch what they are there to catch (so a broken invariant
fails the run, not only a crash)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.soak import run_soak
from benchmarks.soak_checks import (
    chain_problems,
    current_problems,
    export_problems,
    result_problems,
)
from benchmarks.soak_model import Fact, UserModel, Version
from benchmarks.soak_stats import latency
from benchmarks.soak_worker import WEIGHTS
from graphmem.ontology import load_ontology

ONTOLOGY = load_ontology()
FUNCTIONAL = frozenset(r.name for r in ONTOLOGY.relation_types if r.cardinality == "one")
T1, T2, T3 = "2024-01-01T00:00:01+00:00", "2024-01-01T00:00:02+00:00", "2024-01-01T00:00:03+00:00"


def kinds(problems: list[tuple[str, str]]) -> set[str]:
    return {kind for kind, _ in problems}


def event(kind: str, version: int, target: str, status: str, recorded: str, expired: Any = None):
    return {
        "event": kind,
        "version": version,
        "target": target,
        "status": status,
        "recorded_at": recorded,
        "expired_at": expired,
    }


def lives_in(*targets: str) -> Fact:
    versions = [Version(t, status="superseded") for t in targets]
    versions[-1].status = "current"
    return Fact("LIVES_IN-1", "Ann", "LIVES_IN", versions, 0)


def model(*facts: Fact, episodes: tuple[str, ...] = ()) -> UserModel:
    m = UserModel("ann", FUNCTIONAL, facts={f.id: f for f in facts})
    m.add_episodes(list(episodes))
    return m


def fact_row(mid: str, source: str, rel: str, target: str, user: str = "ann") -> dict[str, Any]:
    text = {"LIVES_IN": f"{source} lives in {target}", "LIKES": f"{source} likes {target}"}[rel]
    return {
        "id": mid,
        "user_id": user,
        "source": source,
        "relationship": rel,
        "target": target,
        "memory": text,
    }


# -- the checks, on hand-made answers -----------------------------------------------------------


def test_a_contiguous_chain_that_matches_the_model_passes() -> None:
    good = [
        event("ADD", 1, "Oslo", "superseded", T1, T2),
        event("UPDATE", 2, "Rome", "current", T2),
    ]
    assert chain_problems("LIVES_IN-1", good, lives_in("Oslo", "Rome")) == []


@pytest.mark.parametrize(
    "history",
    [
        [event("ADD", 1, "Oslo", "superseded", T1, T2), event("UPDATE", 3, "Rome", "current", T2)],
        [event("ADD", 1, "Oslo", "superseded", T1, T3), event("UPDATE", 2, "Rome", "current", T2)],
        [event("ADD", 1, "Oslo", "current", T1), event("UPDATE", 2, "Rome", "current", T2)],
        [event("ADD", 1, "Oslo", "superseded", T1, T2), event("ADD", 2, "Rome", "current", T2)],
        [event("ADD", 1, "Oslo", "superseded", T1, T2), event("UPDATE", 2, "Lima", "current", T2)],
        [event("ADD", 1, "Oslo", "superseded", T1, T2)],
        [
            event("ADD", 1, "Oslo", "superseded", T1, T2),
            event("UPDATE", 2, "Rome", "current", T2),
            event("DELETE", 2, "Rome", "current", T2, T3),
        ],
    ],
    ids=["gap", "closed-late", "two-current", "second-add", "other-value", "lost", "delete"],
)
def test_a_broken_chain_is_reported(history: list[dict[str, Any]]) -> None:
    assert kinds(chain_problems("LIVES_IN-1", history, lives_in("Oslo", "Rome"))) == {"chain"}


def test_current_facts_two_functional_values_a_foreign_fact_a_lost_one_a_stale_text() -> None:
    likes = Fact("LIKES-1", "Ann", "LIKES", [Version("tea")], 1)
    m = model(lives_in("Oslo", "Rome"), likes)
    good = [
        fact_row("LIVES_IN-1", "Ann", "LIVES_IN", "Rome"),
        fact_row("LIKES-1", "Ann", "LIKES", "tea"),
    ]
    assert current_problems(m, good, ONTOLOGY) == []
    second = fact_row("LIVES_IN-1", "Ann", "LIVES_IN", "Rome") | {"id": "LIVES_IN-2"}
    assert "functional" in kinds(current_problems(m, [*good, second], ONTOLOGY))
    foreign = fact_row("LIKES-9", "Ann", "LIKES", "jazz", user="bob")
    assert "cross_owner" in kinds(current_problems(m, [*good, foreign], ONTOLOGY))
    assert kinds(current_problems(m, good[:1], ONTOLOGY)) == {"count"}
    stale = good[0] | {"memory": "Bob lives in Rome"}
    assert kinds(current_problems(m, [stale, good[1]], ONTOLOGY)) == {"text"}


def test_the_export_must_hold_the_models_episodes_and_versions_and_nothing_foreign() -> None:
    fact = Fact("LIKES-1", "Ann", "LIKES", [Version("tea", {"e1"})], 0)
    m = model(fact, episodes=("e1", "e2"))

    def doc(episodes: list[str], status: str = "current", owner: str = "user:ann") -> dict:
        nodes = [
            {"id": "n-ann", "labels": ["Entity"], "properties": {"name": "Ann", "owner": owner}},
            {"id": "n-tea", "labels": ["Entity"], "properties": {"name": "tea", "owner": owner}},
        ] + [{"id": e, "labels": ["Episode"], "properties": {"owner": owner}} for e in episodes]
        props = {"memory_id": "LIKES-1", "version": 1, "status": status, "episode_ids": ["e1"]}
        rel = {"start": "n-ann", "end": "n-tea", "properties": {**props, "owner": owner}}
        return {"nodes": nodes, "relationships": [rel]}

    assert export_problems(m, doc(["e1", "e2"])) == []
    assert kinds(export_problems(m, doc(["e1"]))) == {"count"}
    assert kinds(export_problems(m, doc(["e1", "e2"], status="deleted"))) == {"count"}
    assert "cross_owner" in kinds(export_problems(m, doc(["e1", "e2"], owner="user:bob")))


def test_a_search_result_of_another_owner_is_reported() -> None:
    m = model(Fact("LIKES-1", "Ann", "LIKES", [Version("tea")], 0), episodes=("e1",))
    mine = [
        {"id": "LIKES-1", "type": "fact", "sources": [{"id": "e1"}]},
        {"id": "e1", "type": "episode", "sources": [{"id": "e1"}]},
    ]
    assert result_problems(m, mine) == []
    for bad in (
        {"id": "LIKES-2", "type": "fact"},
        {"id": "e9", "type": "episode"},
        {"id": "LIKES-1", "type": "fact", "sources": [{"id": "e9"}]},
        {"id": "derived:WORKS_WITH:LIKES-1:LIKES-7", "type": "fact"},
    ):
        assert kinds(result_problems(m, [bad])) == {"cross_owner"}


# -- the reference model's predictions ----------------------------------------------------------


def test_forgetting_restores_what_the_episode_replaced_unless_it_taught_that_too() -> None:
    m = model(episodes=("e1", "e2"))
    m.apply_event({"event": "ADD", "id": "L", "source": "Ann", "relationship": "LIVES_IN",
                   "target": "Oslo"}, {"e1"})  # fmt: skip
    m.apply_event({"event": "UPDATE", "id": "L", "target": "Rome"}, {"e2"})
    assert m.forget("e2") == (1, 1)  # Rome retracted, Oslo current again as version 3
    assert [(v.target, v.status) for v in m.facts["L"].versions] == [
        ("Oslo", "superseded"),
        ("Rome", "retracted"),
        ("Oslo", "current"),
    ]
    both = model(episodes=("e1",))
    both.apply_event({"event": "ADD", "id": "L", "source": "Ann", "relationship": "LIVES_IN",
                      "target": "Oslo"}, {"e1"})  # fmt: skip
    both.apply_event({"event": "UPDATE", "id": "L", "target": "Rome"}, {"e1"})
    assert both.forget("e1") == (1, 0)  # e1 alone taught Oslo too: nothing to restore
    assert both.current() == {}
    skip = model(episodes=("e1", "e2"))
    skip.apply_event({"event": "ADD", "id": "L", "source": "Ann", "relationship": "LIVES_IN",
                      "target": "Oslo"}, {"e1"})  # fmt: skip
    for target in ("Rome", "Pisa"):
        skip.apply_event({"event": "UPDATE", "id": "L", "target": target}, {"e2"})
    # e2 alone taught Rome and Pisa: Oslo, the last version it did not teach, comes back
    assert skip.forget("e2") == (1, 1)
    assert [(v.target, v.status) for v in skip.facts["L"].versions][-1] == ("Oslo", "current")


def test_a_merge_must_close_equal_facts_and_extra_functional_values() -> None:
    m = model()
    for mid, subject, rel, target in [
        ("A1", "Ann", "LIKES", "tea"),
        ("B1", "Bob", "LIKES", "tea"),
        ("A2", "Ann", "LIVES_IN", "Oslo"),
        ("B2", "Bob", "LIVES_IN", "Rome"),
        ("C1", "Carl", "LIKES", "jazz"),
    ]:
        m.apply_event({"event": "ADD", "id": mid, "source": subject, "relationship": rel,
                       "target": target}, set())  # fmt: skip
    assert m.merge("Ann", "Bob") == 2
    assert m.canonical("Bob") == "Ann"
    assert m.expect_add("Bob", "LIKES", "tea") == ("NOOP", {"A1", "B1"})
    m.close(["B1", "A2"])
    assert m.merge_duplicates("Ann", {"LIKES", "LIVES_IN"}) == []
    assert m.merge("Carl", "Ann") == 0 and m.canonical("Bob") == "Carl"


def test_a_merge_leaves_equal_facts_of_relations_it_moved_none_of() -> None:
    m = model()
    for mid, subject, rel, target in [
        ("A1", "Ann", "LIKES", "tea"),
        ("A2", "Ann", "LIKES", "tea"),  # an explicit update made them equal
        ("B1", "Bob", "LIVES_IN", "Oslo"),
    ]:
        m.apply_event({"event": "ADD", "id": mid, "source": subject, "relationship": rel,
                       "target": target}, set())  # fmt: skip
    assert m.merge("Ann", "Bob") == 0  # Bob had no LIKES: the LIKES pair is not the merge's
    assert m.merge_duplicates("Ann", {"LIKES"}) == ["A2"]


def test_latency_is_summed_per_operation_and_window() -> None:
    ops = [("get", 1.0, 10.0), ("get", 2.0, 30.0), ("get", 61.0, 20.0), ("final_get", 130.0, 5.0)]
    found = latency(ops, seconds=120, window=60)
    assert found["operations"] == 3 and found["window_ops_per_s"] == [0.03, 0.02]
    assert [w["n"] for w in found["per_op"]["get"]["windows"]] == [2, 1]
    assert "final_get" not in found["per_op"]


# -- the soak itself ----------------------------------------------------------------------------


@pytest.mark.store
def test_a_short_soak_keeps_every_invariant_with_no_error() -> None:
    summary = run_soak(seconds=40, processes=3, seed=17, window=20, ops_per_user=60)
    assert summary["errors"] == []
    assert summary["problems"] == {}
    assert summary["passed"]
    ran = set(summary["latency"]["per_op"])
    assert {"add_relation", "add", "add_many", "search", "update", "export"} <= ran <= set(WEIGHTS)
    assert summary["totals"]["users"] >= 9  # three per worker, and retired ones

"""Reconciliation scenarios in plain language, through `Memory.add` and the offline extractor
(and `add_relation` for the structured rules), against the real embedded store."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.statements import statement
from graphmem import Memory, NotFoundError
from graphmem.effects import query


def say(m: Memory, user: str, text: str, when: str | None = None) -> list[dict[str, Any]]:
    """One user message from Alice; the fact events it caused."""
    out = m.add({"role": "user", "content": text, "name": "Alice"}, user_id=user, timestamp=when)
    return out["results"]


def current(m: Memory, user: str, **times: Any) -> set[tuple[str, str, str]]:
    facts = m.get_all(user_id=user, **times)["results"]
    return {(f["source"], f["relationship"], f["target"]) for f in facts}


def test_job_change_is_one_update_with_history_and_as_of(memory: Memory, user: str) -> None:
    [added] = say(memory, user, "I work at Acme.", "2023-01-10T09:00:00Z")
    [moved] = say(memory, user, "I left Acme and now work at Globex.", "2024-06-01T09:00:00Z")
    assert (moved["event"], moved["id"], moved["previous_memory"]) == (
        "UPDATE",
        added["id"],
        "Alice works at Acme",
    )
    assert current(memory, user) == {("Alice", "WORKS_AT", "Globex")}
    history = memory.history(added["id"])
    assert [(h["event"], h["old_memory"], h["new_memory"]) for h in history] == [
        ("ADD", None, "Alice works at Acme"),
        ("UPDATE", "Alice works at Acme", "Alice works at Globex"),
    ]
    assert history[0]["valid_to"].startswith("2024-06-01")  # closed when the change happened
    assert current(memory, user, as_of="2023-06-01") == {("Alice", "WORKS_AT", "Acme")}
    assert current(memory, user, as_of="2024-07-01") == {("Alice", "WORKS_AT", "Globex")}
    assert current(memory, user, as_of="2022-01-01") == set()  # before anything was true
    # What the memory believed before it learned of the change: still Acme.
    learned = history[1]["recorded_at"]
    assert current(memory, user, known_at=history[0]["recorded_at"]) == {
        ("Alice", "WORKS_AT", "Acme")
    }
    assert current(memory, user, known_at=learned) == {("Alice", "WORKS_AT", "Globex")}


def test_move_updates_where_someone_lives(memory: Memory, user: str) -> None:
    [paris] = say(memory, user, "I live in Paris.", "2022-03-01T00:00:00Z")
    [berlin] = say(memory, user, "I moved to Berlin.", "2024-02-01T00:00:00Z")
    assert berlin["event"] == "UPDATE" and berlin["id"] == paris["id"]
    assert current(memory, user) == {("Alice", "LIVES_IN", "Berlin")}
    assert current(memory, user, as_of="2023-01-01") == {("Alice", "LIVES_IN", "Paris")}


def test_likes_then_dislikes_cheese(memory: Memory, user: str) -> None:
    [likes] = say(memory, user, "I like cheese.")
    [dislikes] = say(memory, user, "I don't like cheese anymore.")
    assert (dislikes["event"], dislikes["memory"], dislikes["previous_memory"]) == (
        "UPDATE",
        "Alice dislikes cheese",
        "Alice likes cheese",
    )
    assert dislikes["id"] == likes["id"]
    assert current(memory, user) == {("Alice", "DISLIKES", "cheese")}
    assert [h["event"] for h in memory.history(likes["id"])] == ["ADD", "UPDATE"]


def test_no_longer_friends_deletes_and_keeps_history(memory: Memory, user: str) -> None:
    [friends] = say(memory, user, "Tom and I are friends.")
    [ended] = say(memory, user, "Tom and I are no longer friends.")
    assert ended["event"] == "DELETE" and ended["id"] == friends["id"]
    assert current(memory, user) == set()
    assert [h["event"] for h in memory.history(friends["id"])] == ["ADD", "DELETE"]
    # Said the other way round, the symmetric relation is still the same fact.
    say(memory, user, "Tom and I are friends.")
    [again] = say(memory, user, "Tom is no longer my friend.")  # Alice -> Tom this time
    assert again["event"] == "DELETE"


def test_a_repeat_is_a_noop_without_a_duplicate_edge(memory: Memory, user: str) -> None:
    [first] = say(memory, user, "I work at Acme.")
    [repeat] = say(memory, user, "I work at Acme.")
    assert repeat["event"] == "NOOP" and repeat["id"] == first["id"]
    assert len(memory.history(first["id"])) == 1
    assert len(memory.get(first["id"])["episode_ids"]) == 2  # both messages are its sources
    assert len(memory.get_all(user_id=user)["results"]) == 1


def test_an_older_fact_arriving_late_goes_into_history(memory: Memory, user: str) -> None:
    [now] = say(memory, user, "I work at Globex.", "2024-03-01T00:00:00Z")
    [late] = say(memory, user, "Back in 2019 I worked at Initech.", "2024-07-01T00:00:00Z")
    assert late["event"] == "ADD" and late["status"] == "superseded" and late["id"] == now["id"]
    assert current(memory, user) == {("Alice", "WORKS_AT", "Globex")}  # not overridden
    chain = memory.history(now["id"])
    assert [(h["version"], h["new_memory"]) for h in chain] == [
        (1, "Alice works at Initech"),
        (2, "Alice works at Globex"),
    ]
    assert chain[0]["valid_to"].startswith("2024-03-01")  # ends where the next one begins
    assert current(memory, user, as_of="2020-06-01") == {("Alice", "WORKS_AT", "Initech")}
    assert current(memory, user, as_of="2024-05-01") == {("Alice", "WORKS_AT", "Globex")}


def test_a_late_move_ends_where_the_old_value_was_said_again(memory: Memory, user: str) -> None:
    def lives(city: str, day: str, **kw: Any) -> dict[str, Any]:
        out = memory.add_relation("Ann", "LIVES_IN", city, user_id=user, valid_from=day, **kw)
        return out["results"][0]

    first = lives("Oslo", "2024-01-02")
    assert lives("Oslo", "2024-01-06")["event"] == "NOOP"  # said again: Oslo from the 6th
    late = lives("Rome", "2024-01-05")
    assert (late["event"], late["status"], late["id"]) == ("ADD", "superseded", first["id"])
    assert [
        (h["target"], h["valid_from"][:10], (h["valid_to"] or "")[:10])
        for h in memory.history(first["id"])
    ] == [
        ("Oslo", "2024-01-02", "2024-01-05"),
        ("Rome", "2024-01-05", "2024-01-06"),
        ("Oslo", "2024-01-06", ""),
    ]
    assert current(memory, user) == {("Ann", "LIVES_IN", "Oslo")}
    assert current(memory, user, as_of="2024-01-05T12:00:00Z") == {("Ann", "LIVES_IN", "Rome")}
    assert lives("Oslo", "2024-01-01")["event"] == "NOOP"  # only starts earlier
    assert memory.history(first["id"])[0]["valid_from"].startswith("2024-01-01")
    memory.add_relation("Cy", "LIVES_IN", "Oslo", user_id=user, valid_from="2024-01-10")
    told = memory.add_relation(
        "Cy", "LIVES_IN", "Rome", user_id=user, valid_from="2024-01-01", valid_to="2024-01-05"
    )["results"][0]
    assert told["valid_to"].startswith("2024-01-05")  # the end it was told with is kept
    assert ("Cy", "LIVES_IN", "Rome") in current(memory, user, as_of="2024-01-03T00:00:00Z")
    assert "Cy" not in {s for s, _, _ in current(memory, user, as_of="2024-01-07T00:00:00Z")}
    fixed = memory.add_relation(
        "Ben", "LIVES_IN", "Oslo", user_id=user, valid_from="2024-01-02", immutable=True
    )["results"][0]
    memory.add_relation("Ben", "LIVES_IN", "Oslo", user_id=user, valid_from="2024-01-06")
    vetoed = memory.add_relation("Ben", "LIVES_IN", "Rome", user_id=user, valid_from="2024-01-05")[
        "results"
    ][0]
    assert (vetoed["event"], vetoed["reason"]) == ("NONE", "immutable")
    assert len(memory.history(fixed["id"])) == 1


def test_aliases_resolve_to_one_entity(memory: Memory, user: str) -> None:
    say(memory, user, "My colleague Robert Smith lives in Paris.")
    [moved] = say(memory, user, "Bob Smith moved to Rome.")
    assert moved["event"] == "UPDATE" and moved["source"] == "Robert Smith"
    say(memory, user, "Emma Stone is my sister.")
    [job] = say(memory, user, "Emma works at Acme.")
    assert job["source"] == "Emma Stone"
    names = {f["source"] for f in memory.get_all(user_id=user)["results"]}
    assert "Bob Smith" not in names and "Emma" not in names
    rows = memory.store.read(query(statement("entity_names"), owner=f"user:{user}"))
    aliases = {r["name"]: set(r["aliases"] or []) for r in rows}
    assert "Bob Smith" in aliases["Robert Smith"] and "Emma" in aliases["Emma Stone"]


def test_two_users_with_the_same_names_stay_separate(memory: Memory, user: str) -> None:
    other = f"{user}-b"
    say(memory, user, "I work at Acme.")
    say(memory, other, "I work at Globex.")
    [changed] = say(memory, other, "I work at Initech.")
    assert changed["previous_memory"] == "Alice works at Globex"
    assert current(memory, user) == {("Alice", "WORKS_AT", "Acme")}
    assert current(memory, other) == {("Alice", "WORKS_AT", "Initech")}
    memory.delete_all(user_id=other)


def test_immutable_is_never_changed_by_inference(memory: Memory, user: str) -> None:
    fixed = memory.add_relation("Alice", "LIVES_IN", "Oslo", user_id=user, immutable=True)
    memory_id = fixed["results"][0]["id"]
    [vetoed] = say(memory, user, "I moved to Berlin.")
    assert vetoed["event"] == "NONE" and vetoed["reason"] == "immutable"
    assert current(memory, user) == {("Alice", "LIVES_IN", "Oslo")}
    memory.update(memory_id, "Berlin")  # an explicit update may change it
    assert current(memory, user) == {("Alice", "LIVES_IN", "Berlin")}


def test_expired_fact_leaves_reads_but_not_history(memory: Memory, user: str) -> None:
    out = memory.add_relation(
        "Alice", "VISITED", "Rome", user_id=user, expiration_date="2020-01-01T00:00:00Z"
    )
    memory_id = out["results"][0]["id"]
    assert current(memory, user) == set()
    assert memory.history(memory_id)[0]["new_memory"] == "Alice visited Rome"
    again = memory.add_relation("Alice", "VISITED", "Rome", user_id=user)["results"][0]
    assert again["event"] == "ADD" and again["id"] != memory_id  # the expired one was closed
    assert memory.get(memory_id)["status"] == "expired"


def test_symmetric_and_inverse_relations_stay_one_fact(memory: Memory, user: str) -> None:
    married = memory.add_relation("Sam", "MARRIED_TO", "Alex", user_id=user)["results"][0]
    same = memory.add_relation("Alex", "married to", "Sam", user_id=user)["results"][0]
    assert same["event"] == "NOOP" and same["id"] == married["id"]
    parent = memory.add_relation("Bob", "PARENT_OF", "Carol", user_id=user)["results"][0]
    child = memory.add_relation("Carol", "CHILD_OF", "Bob", user_id=user)["results"][0]
    assert child["event"] == "NOOP" and child["id"] == parent["id"]
    # "Bob manages Ann" is stored as Ann REPORTS_TO Bob (functional): a new manager updates it.
    boss = memory.add_relation("Bob", "MANAGES", "Ann", user_id=user)["results"][0]
    assert (boss["source"], boss["relationship"], boss["target"]) == ("Ann", "REPORTS_TO", "Bob")
    new_boss = memory.add_relation("Cleo", "MANAGES", "Ann", user_id=user)["results"][0]
    assert new_boss["event"] == "UPDATE" and new_boss["id"] == boss["id"]
    # A symmetric functional relation from the other end supersedes too.
    remarried = memory.add_relation("Alex", "MARRIED_TO", "Kim", user_id=user)["results"][0]
    assert remarried["event"] == "UPDATE" and remarried["id"] == married["id"]


def test_a_symmetric_functional_relation_has_one_current_value_at_each_end(
    memory: Memory, user: str
) -> None:
    def married(**times: str) -> set[tuple[str, str]]:
        page = memory.get_all(user_id=user, **times)["results"]
        return {(f["source"], f["target"]) for f in page if f["relationship"] == "MARRIED_TO"}

    sam = memory.add_relation("Sam", "MARRIED_TO", "Alex", user_id=user, valid_from="2015-01-01")
    # Kim has no spouse yet, but Sam has: Sam's marriage changes, it does not double.
    kim = memory.add_relation("Kim", "MARRIED_TO", "Sam", user_id=user, valid_from="2020-01-01")
    [first], [second] = sam["results"], kim["results"]
    assert second["event"] == "UPDATE" and second["id"] == first["id"]
    assert married() == {("Kim", "Sam")}
    assert married(as_of="2016-01-01") == {("Sam", "Alex")}
    # Older than Kim's current marriage: stored as past, ended when that one began.
    [lee] = memory.add_relation("Lee", "MARRIED_TO", "Kim", user_id=user, valid_from="2010-01-01")[
        "results"
    ]
    assert lee["event"] == "ADD" and lee["status"] == "superseded"
    assert lee["valid_to"].startswith("2020-01-01")
    assert married() == {("Kim", "Sam")}
    assert married(as_of="2012-01-01") == {("Lee", "Kim")}
    assert [v["event"] for v in memory.history(first["id"])] == ["ADD", "UPDATE"]


def test_changes_lists_what_happened_since(memory: Memory, user: str) -> None:
    [first] = say(memory, user, "I live in Paris.")
    since = memory.get(first["id"])["recorded_at"]
    say(memory, user, "I moved to Lyon.")
    say(memory, user, "Tom and I are friends.")
    say(memory, user, "Tom and I are no longer friends.")
    events = memory.changes(since=since, user_id=user)["results"]
    assert [(e["event"], e["new_memory"] or e["old_memory"]) for e in events] == [
        ("ADD", "Alice lives in Paris"),
        ("UPDATE", "Alice lives in Lyon"),
        ("ADD", "Tom is a friend of Alice"),
        ("DELETE", "Tom is a friend of Alice"),
    ]
    assert events[1]["old_memory"] == "Alice lives in Paris"
    later = memory.changes(since=events[-1]["updated_at"], user_id=user)["results"]
    assert [e["event"] for e in later] == ["DELETE"]
    assert memory.changes(since=since, user_id=f"{user}-nobody")["results"] == []


def test_forgetting_restores_what_was_true_before_the_episode(memory: Memory, user: str) -> None:
    said = memory.add("Remember this.", user_id=user, infer=False)["results"][0]["id"]
    memory.add_relation("Bob", "LIVES_IN", "Quito", user_id=user)  # taught by no episode
    memory.add_relation("Bob", "LIVES_IN", "Oslo", user_id=user, source=said)
    moved = memory.add_relation("Bob", "LIVES_IN", "Kyiv", user_id=user, source=said)
    assert moved["results"][0]["event"] == "UPDATE"
    out = memory.forget_episode(said, user_id=user)
    # Kyiv goes, and Oslo, which the same episode alone taught, does not come back: Quito,
    # from before the episode, does (as if it had never been said).
    assert [(e["event"], e["target"]) for e in out["results"]] == [
        ("DELETE", "Kyiv"),
        ("UPDATE", "Quito"),
    ]
    assert current(memory, user) == {("Bob", "LIVES_IN", "Quito")}
    fresh = memory.add("Remember that.", user_id=user, infer=False)["results"][0]["id"]
    memory.add_relation("Bob", "LIVES_IN", "Rome", user_id=user, source=fresh)
    again = memory.forget_episode(fresh, user_id=user)  # Quito again, one version later
    assert [(e["event"], e["target"]) for e in again["results"]] == [
        ("DELETE", "Rome"),
        ("UPDATE", "Quito"),
    ]


def test_forget_episode_retracts_what_it_alone_taught(memory: Memory, user: str) -> None:
    first = memory.add(
        {"role": "user", "content": "I live in Paris.", "name": "Alice"},
        user_id=user,
        timestamp="2023-01-01T00:00:00Z",
    )
    [paris] = first["results"]
    liked = memory.add({"role": "user", "content": "I like tea.", "name": "Alice"}, user_id=user)
    wrong = memory.add(
        {"role": "user", "content": "I moved to Rome. I like tea.", "name": "Alice"},
        user_id=user,
        timestamp="2024-01-01T00:00:00Z",
    )
    assert current(memory, user) == {("Alice", "LIVES_IN", "Rome"), ("Alice", "LIKES", "tea")}
    episode = wrong["episodes"][0]["id"]
    out = memory.forget_episode(episode, user_id=user)
    assert [(e["event"], e["memory"]) for e in out["results"]] == [
        ("DELETE", "Alice lives in Rome"),
        ("UPDATE", "Alice lives in Paris"),
    ]
    # Paris is back (as the next version), tea stays: another message taught it too.
    assert current(memory, user) == {("Alice", "LIVES_IN", "Paris"), ("Alice", "LIKES", "tea")}
    tea = liked["results"][0]
    assert memory.get(tea["id"])["episode_ids"] == [liked["episodes"][0]["id"]]
    chain = memory.get_all(user_id=user, as_of="2024-06-01")["results"]
    assert {(f["relationship"], f["target"]) for f in chain} >= {("LIVES_IN", "Paris")}
    assert ("LIVES_IN", "Rome") not in {(f["relationship"], f["target"]) for f in chain}
    versions = memory.history(paris["id"])
    assert [v["new_memory"] for v in versions] == [
        "Alice lives in Paris",
        "Alice lives in Rome",  # kept in history, retracted
        "Alice lives in Paris",
    ]
    # A late fact lands before Paris; the retracted and restored versions keep their order.
    late = memory.add_relation("Alice", "LIVES_IN", "Lyon", user_id=user, valid_from="2022-01-01")
    assert late["results"][0]["event"] == "ADD"
    versions = memory.history(paris["id"])
    assert [(v["version"], v["target"], v["status"]) for v in versions] == [
        (1, "Lyon", "superseded"),
        (2, "Paris", "superseded"),
        (3, "Rome", "retracted"),
        (4, "Paris", "current"),
    ]
    assert current(memory, user, as_of="2022-06-01") == {
        ("Alice", "LIVES_IN", "Lyon"),
        ("Alice", "LIKES", "tea"),  # said without a time: true at any time
    }
    assert current(memory, user) == {("Alice", "LIVES_IN", "Paris"), ("Alice", "LIKES", "tea")}
    with pytest.raises(NotFoundError):  # a forgotten episode is gone
        memory.forget_episode(episode, user_id=user)
    with pytest.raises(NotFoundError):
        memory.forget_episode(first["episodes"][0]["id"], user_id=f"{user}-other")


def test_merge_entities_moves_relations_and_keeps_history(memory: Memory, user: str) -> None:
    a = memory.add_relation("Jo Bloggs", "WORKS_AT", "Acme", user_id=user)["results"][0]
    b = memory.add_relation("J. B.", "WORKS_AT", "Globex", user_id=user)["results"][0]
    memory.update(b["id"], "Initech")
    memory.add_relation("J. B.", "LIKES", "jazz", user_id=user)
    memory.add_relation("Jo Bloggs", "LIKES", "jazz", user_id=user)
    memory.add_relation("Tom", "FRIEND_OF", "J. B.", user_id=user)
    out = memory.merge_entities("Jo Bloggs", "J. B.", user_id=user)["results"][0]
    assert out["name"] == "Jo Bloggs" and out["merged"] == "J. B."
    now = current(memory, user)
    assert ("Tom", "FRIEND_OF", "Jo Bloggs") in now
    assert ("Jo Bloggs", "LIKES", "jazz") in now
    works = {f for f in now if f[1] == "WORKS_AT"}
    assert len(works) == 1  # a functional relation keeps one value
    assert len([f for f in now if f[1] == "LIKES"]) == 1  # the duplicate was closed
    assert [h["new_memory"] for h in memory.history(b["id"])][:2] == [
        "J. B. works at Globex",
        "J. B. works at Initech",
    ]  # every version moved along
    assert memory.history(a["id"])[0]["source"] == "Jo Bloggs"
    rows = memory.store.read(query(statement("entity_names"), owner=f"user:{user}"))
    names = {r["name"]: r["aliases"] for r in rows}
    assert "J. B." not in names and "J. B." in names["Jo Bloggs"]
    with pytest.raises(NotFoundError):
        memory.merge_entities("Jo Bloggs", "Nobody", user_id=user)

"""Retrieval: search, relational questions, time, filters, provenance, neighbors, the read-only
passthrough, the rerank hook, and user isolation, against the real embedded store. The pure
ranking and query-reading rules are unit-tested at the end (no store)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.cli import main as cli_main
from graphmem.errors import NotFoundError, ScopeError, ValidationError
from graphmem.memory import AsyncMemory
from graphmem.ontology import load_ontology
from graphmem.records import light
from graphmem.search.found import Candidate, Found
from graphmem.search.intent import Chain, lemmas, parse
from graphmem.search.ranking import (
    EpisodeFeatures,
    FactFeatures,
    blend,
    normalized,
    personalized_pagerank,
    recency,
)
from graphmem.search.readonly import check
from graphmem.search.rerank import apply
from graphmem.search.scoring import rank
from graphmem.search.when import Window, window


def other_end(result: dict[str, Any], name: str) -> str:
    """The entity a fact result answers with, seen from `name`."""
    return result["target"] if result["source"] == name else result["source"]


def say(memory: Memory, user: str, said: list[tuple[str, str]], **kwargs: Any) -> None:
    """Add each (speaker, text) as the speaker's message."""
    for name, text in said:
        memory.add({"role": "user", "content": text, "name": name}, user_id=user, **kwargs)


def facts(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in res["results"] if r["type"] == "fact"]


@pytest.fixture
def office(memory: Memory, user: str) -> str:
    """A small world: colleagues, homes, siblings, a manager, what the user likes."""
    rel = memory.add_relation
    rel("Alice", "WORKS_AT", "Acme", user_id=user, source="Alice told me she works at Acme")
    rel("Bob", "WORKS_AT", "Acme", user_id=user)
    rel("Dan", "WORKS_AT", "Acme", user_id=user)
    rel("Erin", "WORKS_AT", "Globex", user_id=user)
    rel("Alice", "WORKS_WITH", "Frank", user_id=user)
    rel("Bob", "LIVES_IN", "Paris", user_id=user)
    rel("Alice", "LIVES_IN", "Berlin", user_id=user)
    rel("Alice", "REPORTS_TO", "Carol", user_id=user)
    rel("Carol", "LIVES_IN", "Madrid", user_id=user)
    rel("Carol", "SIBLING_OF", "Gina", user_id=user)
    rel("Hank", "SIBLING_OF", "Carol", user_id=user)  # symmetric: stored the other way round
    rel("Carol", "MARRIED_TO", "Ivan", user_id=user)
    memory.add("I like sushi and I love hiking", user_id=user)
    return user


# -- relational questions ---------------------------------------------------------------------


def test_who_does_alice_work_with(memory: Memory, office: str) -> None:
    res = memory.search("Who does Alice work with?", user_id=office, limit=5)
    top = facts(res)[:3]
    assert {other_end(r, "Alice") for r in top} == {"Bob", "Dan", "Frank"}
    assert all(r["relationship"] == "WORKS_WITH" for r in top)
    derived = [r for r in top if r.get("derived")]
    assert {r["via"] for r in derived} == {"Acme"}
    # derived answers explain themselves with the two WORKS_AT facts they come from
    assert [p["relationship"] for p in derived[0]["path"]] == ["WORKS_AT", "WORKS_AT"]
    assert "Erin" not in {other_end(r, "Alice") for r in res["results"] if r["type"] == "fact"}


def test_where_does_bob_live(memory: Memory, office: str) -> None:
    res = memory.search("Where does Bob live?", user_id=office)
    assert res["results"][0]["memory"] == "Bob lives in Paris"
    assert res["entities"][0]["name"] == "Bob" and res["entities"][0]["via"] == "name"
    assert {"source": "Bob", "relationship": "LIVES_IN", "target": "Paris"} in res["relations"]


def test_who_are_carols_siblings(memory: Memory, office: str) -> None:
    res = memory.search("Who are Carol's siblings?", user_id=office, limit=5)
    top = res["results"][:2]
    assert {other_end(r, "Carol") for r in top} == {"Gina", "Hank"}


def test_what_does_the_user_like(memory: Memory, office: str) -> None:
    res = memory.search("What does the user like?", user_id=office, limit=5)
    top = res["results"][:2]
    assert {r["target"] for r in top} == {"sushi", "hiking"}
    assert all(r["relationship"] == "LIKES" for r in top)
    # the facts cite the message they were extracted from
    assert top[0]["sources"][0]["content"] == "I like sushi and I love hiking"


def test_where_does_alices_manager_live(memory: Memory, office: str) -> None:
    res = memory.search("Where does Alice's manager live?", user_id=office, explain=True)
    first = res["results"][0]
    assert first["memory"] == "Carol lives in Madrid"
    assert [p["relationship"] for p in first["path"]] == ["REPORTS_TO", "LIVES_IN"]
    assert set(first["explanation"]) == {
        "intent",
        "anchor",
        "proximity",
        "similarity",
        "recency",
    }


def test_scores_are_in_unit_interval_and_threshold_applies(memory: Memory, office: str) -> None:
    res = memory.search("Where does Bob live?", user_id=office, limit=50)
    scores = [r["score"] for r in res["results"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    cut = scores[len(scores) // 2]
    kept = memory.search("Where does Bob live?", user_id=office, limit=50, threshold=cut)
    assert kept["results"] and all(r["score"] >= cut for r in kept["results"])
    assert len(kept["results"]) < len(res["results"])


def test_hops_zero_returns_no_facts(memory: Memory, office: str) -> None:
    res = memory.search("Where does Bob live?", user_id=office, hops=0)
    assert facts(res) == []
    only_facts = memory.search("Bob", user_id=office, include_episodes=False)
    assert only_facts["results"] and all(r["type"] == "fact" for r in only_facts["results"])


# -- time ---------------------------------------------------------------------------------------


def test_superseded_fact_only_for_as_of_before_the_change(memory: Memory, user: str) -> None:
    now = datetime.now(timezone.utc)
    two_months, last_month = now - timedelta(days=60), now - timedelta(days=30)
    memory.add_relation("Olga", "LIVES_IN", "Lisbon", user_id=user, valid_from=two_months)
    event = memory.add_relation("Olga", "LIVES_IN", "Berlin", user_id=user, valid_from=last_month)
    assert event["results"][0]["event"] == "UPDATE"

    current = facts(memory.search("Where does Olga live?", user_id=user))
    assert current[0]["target"] == "Berlin"
    assert "Lisbon" not in {r["target"] for r in current}

    before = facts(
        memory.search("Where does Olga live?", user_id=user, as_of=now - timedelta(days=45))
    )
    assert before[0]["target"] == "Lisbon"
    assert "Berlin" not in {r["target"] for r in before}

    history = facts(memory.search("Where does Olga live?", user_id=user, include_history=True))
    assert {r["target"] for r in history} >= {"Lisbon", "Berlin"}
    assert {r["status"] for r in history if r["relationship"] == "LIVES_IN"} == {
        "current",
        "superseded",
    }


def test_expired_facts_are_excluded_unless_asked(memory: Memory, user: str) -> None:
    past = datetime.now(timezone.utc) - timedelta(days=1)
    memory.add_relation("Pia", "LIKES", "jazz", user_id=user, expiration_date=past)
    memory.add_relation("Pia", "LIKES", "tea", user_id=user)
    found = {r["target"] for r in facts(memory.search("What does Pia like?", user_id=user))}
    assert found == {"tea"}
    asked = memory.search("What does Pia like?", user_id=user, include_history=True)
    assert {r["target"] for r in facts(asked)} == {"tea", "jazz"}


# -- filters -------------------------------------------------------------------------------------


@pytest.fixture
def tagged(memory: Memory, user: str) -> str:
    rel = memory.add_relation
    rel("Quinn", "LIKES", "chess", user_id=user, metadata={"topic": "hobby", "weight": 3})
    rel("Quinn", "LIKES", "Go", user_id=user, metadata={"topic": "hobby", "weight": 7})
    rel("Quinn", "WORKS_AT", "Initech", user_id=user, metadata={"topic": "Work Life"})
    rel("Quinn", "LIVES_IN", "Oslo", user_id=user)
    return user


def targets(memory: Memory, user: str, filters: dict[str, Any]) -> set[str]:
    res = memory.search("Quinn", user_id=user, filters=filters, limit=100)
    return {r["target"] for r in res["results"]}


def test_filters_select_exactly_the_matching_facts(memory: Memory, tagged: str) -> None:
    u = tagged
    assert targets(memory, u, {"topic": "hobby"}) == {"chess", "Go"}
    assert targets(memory, u, {"metadata.weight": {"gte": 5}}) == {"Go"}
    assert targets(memory, u, {"weight": {"lt": 5, "ne": 1}}) == {"chess"}
    assert targets(memory, u, {"topic": {"icontains": "work"}}) == {"Initech"}
    assert targets(memory, u, {"topic": {"contains": "Work"}}) == {"Initech"}
    assert targets(memory, u, {"relationship": {"in": ["LIVES_IN", "WORKS_AT"]}}) == {
        "Oslo",
        "Initech",
    }
    assert targets(memory, u, {"target_type": "Place"}) == {"Oslo"}
    assert targets(
        memory, u, {"OR": [{"topic": "hobby"}, {"AND": [{"relationship": "LIVES_IN"}]}]}
    ) == {"chess", "Go", "Oslo"}
    assert targets(memory, u, {"AND": [{"topic": "hobby"}, {"weight": {"gt": 3}}]}) == {"Go"}
    everything = {"chess", "Go", "Initech", "Oslo"}
    assert targets(memory, u, {"created_at": {"gte": "2000-01-01"}}) == everything
    assert targets(memory, u, {"updated_at": {"lt": "2000-01-01"}}) == set()


def test_bad_filters_and_arguments_get_clear_errors(memory: Memory, user: str) -> None:
    with pytest.raises(ValidationError, match="unknown operator"):
        memory.search("x", user_id=user, filters={"topic": {"like": "a"}})
    with pytest.raises(ValidationError, match="'in'"):
        memory.search("x", user_id=user, filters={"topic": {"in": "a"}})
    with pytest.raises(ValidationError, match="non-empty list"):
        memory.search("x", user_id=user, filters={"OR": []})
    with pytest.raises(ValidationError, match="threshold"):
        memory.search("x", user_id=user, threshold=2)
    with pytest.raises(ValidationError, match="hops"):
        memory.search("x", user_id=user, hops=9)
    with pytest.raises(ValidationError, match="query"):
        memory.search("  ", user_id=user)
    with pytest.raises(ValidationError, match="rerank"):
        memory.search("x", user_id=user, rerank=True)
    with pytest.raises(ScopeError):
        memory.search("x")


# -- provenance, episodes, rerank ----------------------------------------------------------------


def test_results_are_full_records_and_neighbors_too(memory: Memory, user: str) -> None:
    """Traversal reads facts light; what search and neighbors return is the full record, the
    same as `get` gives."""
    mid = memory.add_relation(
        "Vera", "LIVES_IN", "Lima", user_id=user, metadata={"note": "from a postcard"}
    )["results"][0]["id"]
    memory.add_relation("Vera", "WORKS_AT", "Acme", user_id=user)
    stored = memory.get(mid)
    fields = [k for k in stored if k not in ("event", "previous_memory")]
    found = memory.search("Where does Vera live?", user_id=user)["results"]
    [hit] = [r for r in found if r["id"] == mid]
    assert "light" not in hit
    assert {k: hit[k] for k in fields} == {k: stored[k] for k in fields}
    near = memory.neighbors("Vera", user_id=user)["results"]
    [fact] = [r for r in near if r["id"] == mid]
    assert fact["metadata"] == {"note": "from a postcard"} and "light" not in fact
    assert {k: fact[k] for k in fields} == {k: stored[k] for k in fields}


def test_read_all_answers_each_query_in_order(memory: Memory, user: str) -> None:
    """The entry points' concurrent reads: one answer per statement, in the order asked, and a
    failing statement's error reaches the caller."""
    from graphmem.effects import query
    from graphmem.errors import StoreError
    from graphmem.scope import Scope

    for name in ("Ina", "Ole", "Pia"):
        memory.add_relation(name, "LIKES", "tea", user_id=user)
    owner = Scope.of(user_id=user).owner
    asked = [
        query("search_entities_named", owner=owner, keys=[key]) for key in ("pia", "ina", "ole")
    ]
    answers = memory.store.read_all(asked)
    assert [[r["name"] for r in rows] for rows in answers] == [["Pia"], ["Ina"], ["Ole"]]
    bad = query("entity_vector_scan", owner=owner, vector="not a vector", k=1)
    with pytest.raises(StoreError):
        memory.store.read_all([asked[0], bad])


def test_results_cite_their_source_episodes(memory: Memory, user: str) -> None:
    memory.add(
        "My sister Emma moved to Rome.",
        user_id=user,
        metadata={"dia_id": "D1:3"},
        timestamp="2024-05-10T10:00:00Z",
    )
    res = memory.search("Where does Emma live?", user_id=user)
    first = res["results"][0]
    assert first["type"] == "fact" and first["target"] == "Rome"
    (src,) = first["sources"]
    assert src["content"] == "My sister Emma moved to Rome."
    assert src["metadata"] == {"dia_id": "D1:3"}
    assert src["occurred_at"].startswith("2024-05-10")


def test_an_episode_is_returned_when_it_is_the_best_evidence(memory: Memory, user: str) -> None:
    memory.add("The quarterly report is due next Friday.", user_id=user, infer=False)
    memory.add("Bananas are yellow.", user_id=user, infer=False)
    res = memory.search("When is the quarterly report due?", user_id=user)
    first = res["results"][0]
    assert first["type"] == "episode"
    assert first["memory"] == "The quarterly report is due next Friday."
    assert first["sources"][0]["id"] == first["id"]


def test_a_speakers_own_turn_ranks_above_a_turn_that_names_them(memory: Memory, user: str) -> None:
    memory.add_relation("Gina", "WORKS_AT", "Fab Store", user_id=user)
    memory.add_relation("Jon", "WORKS_AT", "Dance Studio", user_id=user)
    said = [
        ("Jon", "Gina told me she designed a new logo for her store."),
        ("Gina", "Here's a peek at the cozy space I designed."),
        ("Jon", "My dance floor was designed by a friend."),
    ]
    say(memory, user, said)
    res = memory.search("What did Gina design?", user_id=user)
    episodes = [r["memory"] for r in res["results"] if r["type"] == "episode"]
    assert episodes[0] == "Here's a peek at the cozy space I designed."
    assert episodes.index("Gina told me she designed a new logo for her store.") < episodes.index(
        "My dance floor was designed by a friend."
    )


def test_a_chain_that_reaches_nothing_keeps_the_question_on_its_start(
    memory: Memory, user: str
) -> None:
    memory.add_relation("Melanie", "LIVES_IN", "Boston", user_id=user)
    memory.add_relation("Caroline", "LIVES_IN", "Denver", user_id=user)
    said = [
        ("Caroline", "My daughter's birthday is coming up, when is it again?"),
        ("Melanie", "We celebrated my daughter's birthday with a concert last night."),
    ]
    say(memory, user, said, infer=False)
    res = memory.search("When is Melanie's daughter's birthday?", user_id=user)
    episodes = [r for r in res["results"] if r["type"] == "episode"]
    assert episodes[0]["source"] == "Melanie"


def test_a_date_in_the_question_prefers_what_happened_then(memory: Memory, user: str) -> None:
    memory.add_relation("Melanie", "LIVES_IN", "Boston", user_id=user)
    for when, text in [
        ("2023-05-20T10:00:00Z", "I painted a lake at sunrise this weekend."),
        ("2023-07-14T10:00:00Z", "I painted a horse this weekend."),
        ("2023-09-02T10:00:00Z", "I painted a sunset over the lake this weekend."),
    ]:
        say(memory, user, [("Melanie", text)], infer=False, timestamp=when)
    res = memory.search("What did Melanie paint in July 2023?", user_id=user)
    episodes = [r for r in res["results"] if r["type"] == "episode"]
    assert episodes[0]["memory"] == "I painted a horse this weekend."


def test_rerank_hook_reorders(memory: Memory, office: str) -> None:
    class PreferMadrid:
        def rerank(self, query: str, documents: list[str]) -> list[float]:
            return [1.0 if "Madrid" in d else 0.0 for d in documents]

    res = memory.search("Where does Bob live?", user_id=office, rerank=PreferMadrid())
    assert res["results"][0]["memory"] == "Carol lives in Madrid"
    assert res["results"][0]["score"] == 1.0 and "retrieval_score" in res["results"][0]


# -- neighbors, query passthrough, async, CLI ------------------------------------------------------


def test_neighbors(memory: Memory, office: str) -> None:
    near = memory.neighbors("Alice", user_id=office)
    assert {e["name"] for e in near["entities"]} == {"Acme", "Frank", "Berlin", "Carol"}
    two = memory.neighbors("alice", user_id=office, hops=2)
    assert {"Bob", "Dan", "Madrid", "Gina", "Hank", "Ivan"} <= {e["name"] for e in two["entities"]}
    assert {r["hops"] for r in two["results"]} == {1, 2}
    colleagues = memory.neighbors("Alice", user_id=office, types=["works with"])
    assert {e["name"] for e in colleagues["entities"]} == {"Bob", "Dan", "Frank"}
    with pytest.raises(NotFoundError):
        memory.neighbors("Nobody", user_id=office)


def test_query_passthrough_reads_and_refuses_writes(memory: Memory, office: str) -> None:
    rows = memory.query(
        "MATCH (n:Entity {owner: $owner}) WHERE n.name = $name RETURN n.name AS name",
        {"name": "Alice"},
        user_id=office,
    )
    assert rows == [{"name": "Alice"}]
    for bad in (
        "MATCH (n:Entity {owner: $owner}) DETACH DELETE n",
        "MATCH (n:Entity {owner: $owner}) SET n.name = 'x'",
        "CREATE (n:Entity {owner: $owner})",
        "MATCH (n {owner: $owner}) CALL apoc.do.it(n) YIELD x RETURN x",
        "MATCH (n {owner: $owner}) RETURN n; MATCH (m) DELETE m",
        "MATCH (n:Entity) RETURN n",  # not scoped
    ):
        with pytest.raises(ValidationError):
            memory.query(bad, user_id=office)
    with pytest.raises(ValidationError, match="scope"):
        memory.query("MATCH (n {owner: $owner}) RETURN n", {"owner": "x"}, user_id=office)
    assert memory.neighbors("Alice", user_id=office)["entities"]  # nothing was deleted


def test_async_search(config: dict[str, Any], office: str) -> None:
    async def go() -> dict[str, Any]:
        async with AsyncMemory(config) as m:
            return await m.search("Where does Bob live?", user_id=office)

    assert asyncio.run(go())["results"][0]["memory"] == "Bob lives in Paris"


def test_cli_search(
    memory: Memory, office: str, config: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(config, fh)
    assert cli_main(["--config", fh.name, "search", "Where does Bob live?", "--user", office]) == 0
    assert "Bob lives in Paris" in capsys.readouterr().out.splitlines()[0]


# -- isolation -------------------------------------------------------------------------------------

NAMES = st.sampled_from(["Alice", "Bob", "Carol", "Acme", "Paris", "Globex", "Rome", "tea"])
RELS = st.sampled_from(["WORKS_AT", "LIVES_IN", "LIKES", "KNOWS", "SIBLING_OF"])
FACTS = st.lists(st.tuples(NAMES, RELS, NAMES).filter(lambda f: f[0] != f[2]), max_size=6)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    a_facts=FACTS,
    b_facts=FACTS,
    question=st.sampled_from(
        ["Who does Alice work with?", "Where does Bob live?", "What does Carol like?", "Acme"]
    ),
)
def test_search_never_returns_another_users_facts(
    memory: Memory,
    a_facts: list[tuple[str, str, str]],
    b_facts: list[tuple[str, str, str]],
    question: str,
) -> None:
    a, b = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    for s, r, o in a_facts:
        memory.add_relation(s, r, o, user_id=a, source=f"{s} {r} {o}")
    for s, r, o in b_facts:
        memory.add_relation(s, r, o, user_id=b, source=f"{s} {r} {o} said b")
    b_ids = {f["id"] for f in memory.get_all(user_id=b)["results"]}
    b_entities = {
        row["id"]
        for row in memory.query("MATCH (n:Entity {owner: $owner}) RETURN n.id AS id", user_id=b)
    }
    res = memory.search(question, user_id=a, limit=50, include_history=True)
    for r in res["results"]:
        assert r["id"] not in b_ids
        assert r.get("user_id", a) == a
        assert not any(s["content"].endswith("said b") for s in r["sources"])
        assert not {r.get("source_id"), r.get("target_id")} & b_entities
    assert not {e["id"] for e in res["entities"]} & b_entities


# -- pure logic (no store) -------------------------------------------------------------------------


def test_pagerank_matches_networkx() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("a", "b"), ("f", "g")]
    seeds = {"a": 1.0, "d": 0.5}
    ours = personalized_pagerank(edges, seeds)
    g = nx.MultiGraph(edges)
    theirs = nx.pagerank(g, alpha=0.85, personalization=seeds, tol=1e-12, max_iter=1000)
    for node, value in theirs.items():
        assert ours[node] == pytest.approx(value, abs=1e-5)
    assert sum(ours.values()) == pytest.approx(1.0)
    assert personalized_pagerank([], {}) == {}
    assert personalized_pagerank([], {"x": 1.0}) == {"x": 1.0}


def _episode(eid: str, speaker: str, mentions: list[str], similarity: float) -> dict[str, Any]:
    return {
        "id": eid,
        "content": eid,
        "role": "user",
        "name": speaker,
        "metadata": {},
        "occurred_at": "2024-01-01T00:00:00+00:00",
        "similarity": similarity,
        "entity_ids": mentions,
    }


def test_episode_anchor_speaker_then_mention_then_neither() -> None:
    """What the question is about: its speaker's turns first, then turns that mention it, then
    the rest, at equal similarity; similarity still orders within each."""
    found = Found()
    found.seed({"id": "g", "name": "Gina", "type": "PERSON"}, 1.0, "name")
    found.named["g"] = "gina"
    found.focus.add("g")
    found.episodes = [
        _episode("other", "Jon", [], 0.9),
        _episode("names-her", "Jon", ["g"], 0.6),
        _episode("hers-weaker", "Gina", [], 0.5),
        _episode("hers", "Gina", [], 0.6),
    ]
    order = [r["id"] for r in rank(parse("What did Gina design?", load_ontology()), found, True)]
    assert order == ["hers", "hers-weaker", "names-her", "other"]


def test_episodes_are_pagerank_nodes() -> None:
    """An episode's proximity is its own PageRank in the entity-episode graph: of two equally
    similar episodes, the one that mentions more of what the entry entity reaches ranks
    higher (its best entity alone would tie them)."""
    found = Found()
    found.seed({"id": "a", "name": "Acme", "type": "ORGANIZATION"}, 1.0, "vector")
    for vid, end in (("f1", "b"), ("f2", "c")):
        values = [vid, vid, "WORKS_AT", end, end, "PERSON", "a", "Acme", "ORGANIZATION"]
        record, _ = light([*values, 0.5, None, "2024-01-01T00:00:00+00:00", [], None])
        found.facts[vid] = Candidate(record, 0.5)
    found.episodes = [_episode("one", "x", ["b"], 0.5), _episode("two", "x", ["b", "c"], 0.5)]
    results = rank(parse("Acme", load_ontology()), found, True)
    episodes = [r for r in results if r["type"] == "episode"]
    assert [r["id"] for r in episodes] == ["two", "one"]
    two, one = (r["_features"].proximity for r in episodes)
    assert two > one


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)))
def test_a_written_date_is_read_as_its_window(day: date) -> None:
    month = day.strftime("%B")
    other = (day.replace(day=1) + timedelta(days=40)).isoformat() + "T00:00:00+00:00"
    at = day.isoformat() + "T12:00:00+00:00"
    for text, expected in (
        (f"What happened on {month} {day.day}, {day.year}?", Window(day.year, day.month, day.day)),
        (f"What happened on {day.day} {month}, {day.year}?", Window(day.year, day.month, day.day)),
        (f"What did she do in {month} {day.year}?", Window(day.year, day.month, None)),
        (f"Where did he go in {month}?", Window(None, day.month, None)),
        (f"How often in {day.year}?", Window(day.year, None, None)),
    ):
        got = window(text)
        assert got == expected and got.holds(at)
        if expected.month is not None:
            assert not got.holds(other)
    assert window("May I ask what you did?") is None and not Window(2023, 1, 1).holds(None)


def test_an_asked_relation_stands_in_for_its_source_turn() -> None:
    """The fact answering the question's relation takes its own source turn's place (the
    structured answer citing the turn); a fact of another relation does not."""
    found = Found()
    found.seed({"id": "r", "name": "Rita", "type": "PERSON"}, 1.0, "name")
    found.named["r"] = "rita"
    found.focus.add("r")
    facts = (("lives", "LIVES_IN", "said-lives"), ("likes", "LIKES", "said-likes"))
    for vid, relationship, source in facts:
        values = [vid, vid, relationship, "r", "Rita", "PERSON", "x", "X", "PLACE"]
        record, _ = light([*values, 0.1, None, "2024-01-01T00:00:00+00:00", [source], None])
        found.facts[vid] = Candidate(record, 0.1)
    found.episodes = [
        _episode("said-lives", "Rita", [], 0.9),
        _episode("said-likes", "Rita", [], 0.8),
    ]
    results = rank(parse("Where does Rita live?", load_ontology()), found, True)
    order = [r["id"] for r in results]
    assert order[0] == "lives" and "said-lives" not in order
    assert order.index("said-likes") < order.index("likes")


def test_blend_normalized_recency() -> None:
    zero = FactFeatures(0, 0, 0, 0, 0)
    assert blend(zero) == 0.0
    assert blend(EpisodeFeatures(1, 1, 1, 1)) == 1.0
    assert blend(FactFeatures(1, 0, 0, 0, 0)) > blend(FactFeatures(0, 0, 0, 0.9, 0))
    assert normalized({"a": 0.0}) == {"a": 0.0}
    assert recency(None, "2024-01-01T00:00:00+00:00") == 0.5
    assert recency("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00") == 1.0


def test_query_reading() -> None:
    onto = load_ontology()
    q = parse("Who does Alice work with?", onto)
    assert q.intent["WORKS_WITH"] == 1.0 and q.intent["WORKS_AT"] < 0.5
    assert "alice" in q.name_keys and "who" not in q.name_keys
    q = parse("Who are Carol's siblings?", onto)
    assert q.chains == (Chain("carol", "SIBLING_OF"),) and q.intent == {"SIBLING_OF": 1.0}
    q = parse("Where does my sister live?", onto, self_name="Ida")
    assert q.chains == (Chain("ida", "SIBLING_OF"),) and "LIVES_IN" in q.intent
    q = parse("What does the user like?", onto, self_name="u-42")
    assert q.name_keys[0] == "u 42" and q.intent == {"LIKES": 1.0}
    assert parse("hello there", onto).intent == {} and parse("hello there", onto).when is None
    assert parse("What did Mel paint in July 2023?", onto).when == Window(2023, 7, None)
    assert "live" in lemmas("living") and "sibling" in lemmas("siblings")


def test_read_only_guard() -> None:
    check("MATCH (n {owner: $owner}) WHERE n.note = 'CREATE me; DELETE' RETURN n")
    check("MATCH (n {owner: $owner}) RETURN n.`set` AS s // DELETE in a comment")
    check(
        "CALL db.index.vector.queryNodes('i', 5, $v) YIELD node WHERE node.owner = $owner "
        "RETURN node"
    )
    for bad in (
        "MERGE (n {owner: $owner})",
        "MATCH (n {owner: $owner}) REMOVE n.x",
        "LOAD CSV FROM 'f' AS l RETURN $owner",
        "DROP INDEX x",
        "",
        "MATCH (n {owner: $owner}) FOREACH (x IN [1] | SET n.a = x)",
        "CALL { MATCH (n {owner: $owner}) RETURN n } IN TRANSACTIONS RETURN 1",
    ):
        with pytest.raises(ValidationError):
            check(bad)


def test_rerank_apply_squashes_logits() -> None:
    class Logits:
        def rerank(self, query: str, documents: list[str]) -> list[float]:
            return [-3.0, 4.0]

    out = apply(Logits(), "q", [{"memory": "a", "score": 0.9}, {"memory": "b", "score": 0.1}])
    assert [r["memory"] for r in out] == ["b", "a"]
    assert all(0.0 < r["score"] < 1.0 for r in out)
    assert out[0]["retrieval_score"] == 0.1

    class Wrong:
        def rerank(self, query: str, documents: list[str]) -> list[float]:
            return []

    with pytest.raises(ValueError, match="0 scores"):
        apply(Wrong(), "q", [{"memory": "a"}])


@pytest.mark.store  # a child process that opens an embedded store
def test_readme_search_example_runs(tmp_path: Any) -> None:
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Search\n", 1)[1]
    block = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[0]
    env = {**os.environ, "GRAPHMEM_HOME": str(tmp_path / "home"), "GRAPHMEM_EMBEDDER": "hashing"}
    env.pop("NEO4J_URI", None)
    run = subprocess.run(
        [sys.executable, "-c", block], env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "Alice works with Bob (via Acme)",
        "Carol lives in Madrid ['REPORTS_TO', 'LIVES_IN']",
    ]

"""Owner-scoped semantic entity lookup (`graphmem.search.entity_lookup`) on the real server.

Checks, on a dataset big enough to take the vector-index path: only the owner's entities ever
come back; an exact-name query finds that entity first; the scan (small owner) and the index
over-fetch (large owner) both return the exact top k that numpy computes from the same
vectors; a wrong (stale) count costs only speed, never results.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from benchmarks.statements import statement
from graphmem import Memory, ValidationError
from graphmem.effects import Query, run
from graphmem.resolve import name_key
from graphmem.scope import Scope
from graphmem.search.entity_lookup import EntitySearch, plan_for, searcher, similar_entities
from graphmem.times import now_iso

K = 10


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    """
Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil
Trent Victor Walter Yvonne Zoe Amir Bea Chen Dmitri Elena Farah Goran Hana Igor Jana Kenji Lena
Marco Nora Otto Priya Quinn Rosa
"""
)
LAST = _words(
    """
Smith Jones Garcia Miller Davis Lopez Wilson Taylor Moore Clark Lewis Walker Young King Wright
Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans
Edwards Collins Stewart Morris Rogers Reed Cook Bell
"""
)
ORGS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Wonka",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Oscorp",
    "Pied Piper",
]
ORG_KINDS = ["Labs", "Logistics", "Analytics", "Foods", "Robotics", "Bank", "Studios", "Energy"]


def pool() -> list[tuple[str, str]]:
    """(name, label) pairs: people and organizations, ~1.5k distinct names."""
    people = [(f"{f} {last}", "Person") for f, last in itertools.product(FIRST, LAST)]
    orgs = [(f"{o} {kind}", "Organization") for o, kind in itertools.product(ORGS, ORG_KINDS)]
    return people + orgs


@dataclass
class Owner:
    owner: str
    ids: list[str]
    names: list[str]
    vectors: np.ndarray  # float32, as stored

    def truth(self, query: list[float], k: int = K) -> tuple[np.ndarray, dict[str, float]]:
        """Exact cosine of the query with every entity of the owner (vectors are unit length)."""
        q = np.asarray(query, dtype=np.float32)
        scores = self.vectors @ (q / np.linalg.norm(q))
        return np.sort(scores)[::-1][:k], dict(zip(self.ids, scores.tolist(), strict=True))


def write_owner(m: Memory, owner: str, names: list[tuple[str, str]]) -> Owner:
    """Bulk-write an owner's entities (one statement per label) and return what was written."""
    vectors = m.embedder.embed([n for n, _ in names])
    ids = [str(uuid.uuid4()) for _ in names]
    now = now_iso()
    for label in sorted({lab for _, lab in names}):
        rows = [
            {"id": i, "owner": owner, "name": n, "name_key": name_key(n), "embedding": v}
            for i, (n, lab), v in zip(ids, names, vectors, strict=True)
            if lab == label
        ]
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            m.store.write(
                lambda batch=batch, label=label: run(
                    statement("entity_create_batch"), label=label, rows=batch, type=label, now=now
                )
            )
    return Owner(owner, ids, [n for n, _ in names], np.asarray(vectors, dtype=np.float32))


@dataclass
class Dataset:
    big: Owner  # a large share of all entities: the index path
    small: Owner  # a few dozen: the scan
    others: list[Owner]
    queries: list[tuple[str, list[float]]]


@pytest.fixture(scope="module")
def data(server: Memory, config: dict[str, Any]) -> Iterator[tuple[Memory, Dataset]]:
    """~2.9k entities in 5 owners drawn from one name pool (so names overlap across owners)."""
    rng = random.Random(11)
    names = pool()
    tag = uuid.uuid4().hex[:8]
    with Memory(config) as m:
        big = write_owner(m, f"user:big-{tag}", rng.sample(names, 1200))
        small = write_owner(m, f"user:small-{tag}", rng.sample(names, 40))
        others = [write_owner(m, f"user:other{i}-{tag}", rng.sample(names, 550)) for i in range(3)]
        texts = (
            [n for n in rng.sample(big.names, 8)]  # exact names of the big owner
            + [n.lower().replace("a", "e", 1) for n in rng.sample(big.names, 8)]  # misspelled
            + [n for n in rng.sample(small.names, 6)]
            + [n.split()[0] for n in rng.sample(small.names, 4)]  # partial
            + ["Globex Robotics", "Zoe Bell", "Someone Unknown", "Initech"]  # anything
        )
        queries = list(zip(texts, m.embedder.embed(texts), strict=True))
        yield m, Dataset(big, small, others, queries)


def assert_exact_top_k(results: list[dict[str, Any]], owner: Owner, query: list[float]) -> None:
    """`results` is a true top-k of the owner (ties allowed) with correct scores, best first."""
    best, scores = owner.truth(query)
    assert len(results) == min(K, len(owner.ids))
    assert all(r["id"] in scores for r in results), "an entity of another owner came back"
    got = [r["score"] for r in results]
    assert got == sorted(got, reverse=True)
    for r in results:
        assert r["score"] == pytest.approx(scores[r["id"]], abs=1e-4)
    # Each returned entity is at least as good as the k-th best (ties may swap entities).
    assert np.allclose(sorted(got, reverse=True), best[: len(got)], atol=1e-4)


def test_public_api_entities_are_owner_scoped(memory: Memory, user: str) -> None:
    other = f"{user}-other"
    for uid in (user, other):
        memory.add_relation("Alice Smith", "KNOWS", "Bob Jones", user_id=uid)
        memory.add_relation("Alice Smith", "WORKS_AT", "Acme Robotics", user_id=uid)
    memory.add_relation("Carol Garcia", "KNOWS", "Dave Miller", user_id=other)
    mine = Scope.of(user_id=user).owner
    theirs = Scope.of(user_id=other).owner

    def ids(owner: str, names: list[str]) -> set[str]:
        return {
            row["id"]
            for n in names
            for row in memory.store.read(
                Query("entity_find", {"owner": owner, "name_key": name_key(n)})
            )
        }

    my_ids = ids(mine, ["Alice Smith", "Bob Jones", "Acme Robotics"])
    their_ids = ids(
        theirs, ["Alice Smith", "Bob Jones", "Acme Robotics", "Carol Garcia", "Dave Miller"]
    )
    assert len(my_ids) == 3 and len(their_ids) == 5 and not my_ids & their_ids

    for query in ["Alice Smith", "Carol Garcia", "Dave Miller"]:
        vector = memory.embedder.embed([query])[0]
        found = similar_entities(memory.store, mine, vector, k=5)
        assert {r["id"] for r in found} == my_ids  # all 3 of mine, none of theirs
        theirs_found = similar_entities(memory.store, theirs, vector, k=5)
        assert {r["id"] for r in theirs_found} == their_ids
        assert theirs_found[0]["name"] == query  # exact name first...
        assert theirs_found[0]["score"] == pytest.approx(1.0, abs=1e-5)  # ...as raw cosine
        assert theirs_found[0]["type"] == "Person"

    alice = similar_entities(memory.store, mine, memory.embedder.embed(["alice smith"])[0], k=1)
    assert [r["name"] for r in alice] == ["Alice Smith"]
    nobody = similar_entities(memory.store, f"user:{user}-nobody", vector, k=5)
    assert nobody == []


def test_large_owner_takes_the_index_and_matches_numpy(data: tuple[Memory, Dataset]) -> None:
    m, d = data
    search = EntitySearch(m.store)
    assert search.plan(d.big.owner, K).strategy == "index"
    strategies = []
    for _, vector in d.queries:
        out = search.search(d.big.owner, vector, K)
        strategies.append(out.strategy)
        assert_exact_top_k(out.results, d.big, vector)
    # The index answered (nearly) everything by itself; a fallback is allowed, not the rule.
    assert strategies.count("index") >= len(strategies) - 2, strategies


def test_small_owner_takes_the_scan_and_matches_numpy(data: tuple[Memory, Dataset]) -> None:
    m, d = data
    search = EntitySearch(m.store)
    assert search.plan(d.small.owner, K).strategy == "scan"
    for _, vector in d.queries:
        out = search.search(d.small.owner, vector, K)
        assert out.strategy == "scan"
        assert_exact_top_k(out.results, d.small, vector)


def test_both_strategies_agree_for_every_owner(data: tuple[Memory, Dataset]) -> None:
    """Forced scan and a generous forced over-fetch give the same (exact) top k."""
    m, d = data
    search = EntitySearch(m.store)
    for owner in [d.big, d.small, *d.others]:
        for _, vector in d.queries[::3]:
            scanned = search.scan(owner.owner, vector, K)
            fetched = search.over_fetch(owner.owner, vector, K, candidates=3000)
            assert_exact_top_k(scanned, owner, vector)
            assert_exact_top_k(fetched, owner, vector)
            assert [r["score"] for r in fetched] == pytest.approx(
                [r["score"] for r in scanned], abs=1e-4
            )


def test_exact_name_is_found_first(data: tuple[Memory, Dataset]) -> None:
    m, d = data
    for owner in (d.big, d.small):
        for name in owner.names[:5]:
            vector = m.embedder.embed([name])[0]
            top = similar_entities(m.store, owner.owner, vector, k=3)
            assert top[0]["name"] == name
            assert top[0]["id"] == owner.ids[owner.names.index(name)]
            assert top[0]["score"] == pytest.approx(1.0, abs=1e-5)


def test_overlapping_names_never_leak_across_owners(data: tuple[Memory, Dataset]) -> None:
    """A name the big owner shares with others: each owner gets only its own copy."""
    m, d = data
    shared = [n for n in d.small.names if n in set(d.big.names)]
    assert shared, "the fixture should make owners share names"
    vector = m.embedder.embed([shared[0]])[0]
    for owner in [d.big, d.small, *d.others]:
        found = similar_entities(m.store, owner.owner, vector, k=K)
        assert {r["id"] for r in found} <= set(owner.ids)


def test_over_fetch_alone_misses_small_owners_so_fallback_is_needed(
    data: tuple[Memory, Dataset],
) -> None:
    """Why the strategy exists: the plain index lookup filters after the fact."""
    m, d = data
    search = EntitySearch(m.store)
    vector = d.queries[0][1]
    assert len(search.over_fetch(d.small.owner, vector, K, candidates=K)) < K
    # Pretend the small owner is huge (a stale count): the index path comes back short, the
    # search falls back to the exact scan, and the answer is still exact.
    search.owner_count_steps = _fixed_count(10**6)  # type: ignore[method-assign]
    search.total_count_steps = _fixed_count(10**6)  # type: ignore[method-assign]
    out = search.search(d.small.owner, vector, K)
    assert out.plan.strategy == "index" and out.strategy == "index+scan"
    assert_exact_top_k(out.results, d.small, vector)


def _fixed_count(value: int) -> Any:
    """A stand-in for a count's steps that reads nothing and always answers `value`."""

    def steps(*_: Any) -> Generator[Any, Any, int]:
        return value
        yield  # a generator function that never yields

    return steps


def test_stale_counts_cost_speed_not_results(data: tuple[Memory, Dataset], user: str) -> None:
    m, d = data
    owner = Scope.of(user_id=user).owner
    search = EntitySearch(m.store, count_ttl=3600)  # counts never refresh during this test
    vector = m.embedder.embed(["Quinn Bell"])[0]
    assert search.similar(owner, vector, K) == []  # cached: 0 entities
    assert search.owner_count(owner) == 0
    added = write_owner(m, owner, [("Quinn Bell", "Person"), ("Quinn Bellamy", "Person")])
    found = search.similar(owner, vector, K)  # the cache still says 0: scans anyway
    assert [r["id"] for r in found] == added.ids
    search.forget()
    assert search.owner_count(owner) == 2


def test_count_cache_is_shared_per_store(data: tuple[Memory, Dataset]) -> None:
    m, d = data
    assert searcher(m.store) is searcher(m.store)
    before = searcher(m.store).owner_count(d.big.owner)
    assert before == len(d.big.ids)


def test_plan_thresholds() -> None:
    assert plan_for(5000, 50_000, 10) == plan_for(5000, 50_000, 10)
    ten_percent = plan_for(5000, 50_000, 10)
    assert (ten_percent.strategy, ten_percent.candidates) == ("index", 150)
    assert ten_percent.deeper == 450  # a short first fetch goes 3x deeper before scanning
    assert plan_for(500, 50_000, 10).strategy == "scan"  # 1%: k' would be 1500
    assert plan_for(1000, 10_000, 10).strategy == "scan"  # 10% of 10k: a 1k scan is cheaper
    assert plan_for(10_000, 10_000, 10).candidates == 15  # one owner: k' = 1.5k
    assert plan_for(0, 50_000, 10).strategy == "scan"  # never skip the search on a count
    assert plan_for(5, 0, 10).strategy == "scan"  # total behind owner: clamped, still sane
    for owned in (1, 10, 100, 1000, 10_000):
        plan = plan_for(owned, 100_000, 10)
        assert plan.strategy == "scan" or plan.candidates >= 10


def test_input_is_checked(data: tuple[Memory, Dataset]) -> None:
    m, d = data
    vector = d.queries[0][1]
    with pytest.raises(ValidationError, match="dimensions"):
        similar_entities(m.store, d.big.owner, vector[:10])
    with pytest.raises(ValidationError, match="k must be"):
        similar_entities(m.store, d.big.owner, vector, k=0)
    with pytest.raises(ValidationError, match="owner"):
        similar_entities(m.store, "", vector)
    with pytest.raises(ValidationError, match="zeros"):
        similar_entities(m.store, d.big.owner, [0.0] * len(vector))


class _FakeStore:
    """Just what `EntitySearch` reads from a store outside its steps."""

    def __init__(self) -> None:
        from graphmem.store.dialect import ARCADEDB

        self.dialect = ARCADEDB
        self.dimensions = 4


def _drive(steps: Generator[Any, Any, Any], answers: dict[str, Any]) -> tuple[Any, list[Any]]:
    """Run an operation's steps by hand, answering each read from `answers` by statement name."""
    from graphmem.effects import Read

    seen: list[Any] = []
    value: Any = None
    while True:
        try:
            step = steps.send(value)
        except StopIteration as stop:
            return stop.value, seen
        assert isinstance(step, Read), step
        seen.append(step.query)
        value = answers[step.query.name](step.query.params)


def test_similar_steps_yield_reads_and_cache_counts() -> None:
    """The search is a generator of `read` steps (no store calls of its own); counts are read
    once, then served from the EntitySearch's cache."""
    search = EntitySearch(_FakeStore(), count_ttl=3600)  # type: ignore[arg-type]
    scan_rows = [
        {"id": "b", "name": "B", "type": "Person", "score": 0.5},
        {"id": "a", "name": "A", "type": "Person", "score": 0.5},  # a tie: ordered by id
        {"id": "c", "name": "C", "type": "Person", "score": 0.9},
        {"id": "x", "name": "X", "type": "Person", "score": -2.0},  # no embedding: dropped
    ]
    answers = {
        "entity_owner_count": lambda p: [{"count": 4}],
        "entity_count": lambda p: [{"count": 10_000}],
        "entity_vector_scan": lambda p: scan_rows,
    }
    found, seen = _drive(search.similar_steps("user:a", [1.0, 0.0, 0.0, 0.0], k=10), answers)
    assert [q.name for q in seen] == ["entity_owner_count", "entity_count", "entity_vector_scan"]
    assert seen[-1].params["owner"] == "user:a" and seen[-1].params["k"] == 10
    assert [r["id"] for r in found] == ["c", "a", "b"]
    again, seen = _drive(search.similar_steps("user:a", [0.0, 1.0, 0.0, 0.0], k=3), answers)
    assert [q.name for q in seen] == ["entity_vector_scan"]  # counts came from the cache
    assert [r["id"] for r in again] == ["c", "a", "b"]
    with pytest.raises(ValidationError):
        _drive(search.similar_steps("", [1.0, 0.0, 0.0, 0.0]), answers)

"""Owner-scoped semantic entity lookup: "which of this owner's entities is this name closest to?"

Every owner's entities share one vector index, and ``db.index.vector.queryNodes`` filters by
owner only *after* its lookup. So the owner's share of all entities decides what works:

* **scan** (exact): score every entity of the owner (found through the ``Entity.owner`` index)
  with ``vector.similarity.cosine`` and keep the best k (``cypher/entity_vector_scan.cypher``).
  Cost grows with the owner's size, not the store's.
* **index** (over-fetch, then filter): ask the index for the ``candidates`` nearest entities of
  every owner, keep the owner's and rescore them exactly (``cypher/entity_vector_candidates``),
  with ``candidates = ceil(SAFETY * k * total / owned)``. Cost grows with ``candidates``.
  When at least k of the candidates are the owner's, they *are* the owner's top k (any better
  entity of the owner would be among the global top ``candidates`` too), up to the index's own
  approximation. When fewer come back, the owner's top k cannot be known from them, so the
  search asks once more, ``DEEPER`` times deeper ("index+deeper", only when the cost model
  says that is cheaper than the scan), and then falls back to the exact scan ("index+scan").

Which one runs follows a linear cost model of both statements (fixed cost + per-entity or
per-candidate cost, the constants below) fed by the owner's and the store's entity counts.
The counts cost a query each, so they are cached for ``COUNT_TTL_SECONDS``. A stale count can
only change which strategy runs and how many candidates are fetched, i.e. speed: the scan is
exact whatever the count says, and the index path returns only when it got k of the owner's
entities, which is the owner's true top k no matter how the count was wrong. Nothing is ever
skipped because a count says zero.

Results are the owner's entities only, best first, scored by the raw cosine in [-1, 1]. How
the constants were measured, and the recall and latency they give, are in
``benchmarks/results/entity_lookup_notes.md`` (``benchmarks/store_bench.py --lookup-only``).
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..checks import check_int
from ..effects import Query, Rows, Steps, query, read, read_query
from ..errors import ValidationError
from ..store.drivers import run_sync
from ..store.graph_store import GraphStore

# Over-fetch factor: ask the index for SAFETY * k * total / owned candidates.
SAFETY = 1.5
# A short first over-fetch is retried once with DEEPER times the candidates (then the scan).
DEEPER = 3.0
# Linear cost model (milliseconds); see benchmarks/results/entity_lookup_notes.md.
SCAN_FIXED_MS = 4.0
SCAN_MS_PER_ENTITY = 0.007
INDEX_FIXED_MS = 7.0
INDEX_MS_PER_CANDIDATE = 0.03
# Never ask the index for more than this (the scan is cheaper long before).
MAX_CANDIDATES = 10_000
# How long an owner's / the store's entity count is trusted (affects speed only, see above).
COUNT_TTL_SECONDS = 10.0
_MAX_CACHED_OWNERS = 10_000
MAX_K = 1_000
# entity_vector_scan scores an entity without an embedding -2: below any cosine on both scales.
_NO_EMBEDDING = -1.5

Strategy = Literal["scan", "index", "index+deeper", "index+scan"]


@dataclass(frozen=True)
class Plan:
    """What a search will do, from the (possibly cached) counts."""

    strategy: Literal["scan", "index"]
    owned: int
    total: int
    candidates: int  # index over-fetch size (0 for a scan)
    deeper: int = 0  # the second over-fetch when the first comes back short (0: scan instead)


@dataclass(frozen=True)
class SearchResult:
    """The owner's best entities, best first, and how they were found."""

    results: list[dict[str, Any]]
    strategy: Strategy
    plan: Plan


def plan_for(owned: int, total: int, k: int, safety: float = SAFETY) -> Plan:
    """Pick scan or index for an owner of `owned` entities among `total` (pure; see module doc).

    >>> plan_for(5000, 50000, 10)
    Plan(strategy='index', owned=5000, total=50000, candidates=150, deeper=450)
    >>> plan_for(500, 50000, 10).strategy
    'scan'
    """
    total = max(total, owned)
    if owned <= 0:
        return Plan("scan", owned, total, 0)
    candidates = min(max(k, math.ceil(safety * k * total / owned)), MAX_CANDIDATES)
    scan_ms = _scan_ms(owned)
    if candidates >= MAX_CANDIDATES or _index_ms(candidates) >= scan_ms:
        return Plan("scan", owned, total, 0)
    deeper = min(math.ceil(DEEPER * candidates), MAX_CANDIDATES)
    return Plan("index", owned, total, candidates, deeper if _index_ms(deeper) < scan_ms else 0)


def _index_ms(candidates: int) -> float:
    return INDEX_FIXED_MS + INDEX_MS_PER_CANDIDATE * candidates


def _scan_ms(owned: int) -> float:
    return SCAN_FIXED_MS + SCAN_MS_PER_ENTITY * owned


class EntitySearch:
    """Owner-scoped entity search over one store, with its short-lived count cache.

    Use `similar_entities(store, ...)`, which keeps one of these per store; build one yourself
    to change `safety` or `count_ttl` (e.g. 0 to count on every call).

    The store I/O goes through effects (`graphmem.effects`): `similar_steps` / `search_steps`
    yield `read(...)` steps, so a Memory operation can run them inside its own generator with
    the blocking or the asyncio driver; `similar` / `search` run them with `run_sync`.
    `plan_steps`, `first_query` and `finish_steps` are the same search cut around its first
    statement, for a caller that reads it together with others (search's entry points).
    """

    def __init__(
        self, store: GraphStore, *, safety: float = SAFETY, count_ttl: float = COUNT_TTL_SECONDS
    ) -> None:
        if safety < 1.0:
            raise ValueError("safety must be >= 1 (fetch at least the expected k owner hits)")
        self.store = store
        self.safety = safety
        self.count_ttl = count_ttl
        self._lock = threading.Lock()
        self._counts: OrderedDict[str | None, tuple[float, int]] = OrderedDict()

    # -- the search, as effects ------------------------------------------------------------------

    def similar_steps(
        self, owner: str, vector: Sequence[float], k: int = 10
    ) -> Steps[list[dict[str, Any]]]:
        """`similar` as steps: `found = yield from search.similar_steps(owner, vec, k)`."""
        found = yield from self.search_steps(owner, vector, k)
        return found.results

    def search_steps(self, owner: str, vector: Sequence[float], k: int = 10) -> Steps[SearchResult]:
        """`search` as steps (see `similar_steps`)."""
        owner, vector, k = self._check(owner, vector, k)  # before any read
        plan = yield from self.plan_steps(owner, k)
        first = self.first_query(plan, owner, vector, k)
        rows = yield from read_query(first)
        found = yield from self.finish_steps(plan, first, rows)
        return found

    def first_query(self, plan: Plan, owner: str, vector: Sequence[float], k: int) -> Query:
        """The statement a search following `plan` starts with (callers that batch reads run
        it themselves and hand its rows to `finish_steps`)."""
        owner, vec, k = self._check(owner, vector, k)
        if plan.strategy == "index":
            return self._over_fetch_query(owner, vec, k, plan.candidates)
        return query("entity_vector_scan", owner=owner, vector=vec, k=k)

    def finish_steps(self, plan: Plan, first: Query, rows: Rows) -> Steps[SearchResult]:
        """The search's result from the rows of its `first_query` (whose checked owner, vector
        and k it reuses), reading more when the index over-fetch came back short (a deeper
        fetch, then the exact scan)."""
        owner, vec, k = first.params["owner"], first.params["vector"], first.params["k"]
        if plan.strategy == "scan":
            return SearchResult(self._scan_hits(rows), "scan", plan)
        hits = self._candidate_hits(rows)
        if len(hits) >= k:
            return SearchResult(hits, "index", plan)
        if plan.deeper:  # short: one deeper fetch when it is cheaper than the scan
            rows = yield from read_query(self._over_fetch_query(owner, vec, k, plan.deeper))
            hits = self._candidate_hits(rows)
            if len(hits) >= k:
                return SearchResult(hits, "index+deeper", plan)
        exact = yield from self._scan_steps(owner, vec, k)
        return SearchResult(exact, "index+scan", plan)

    def plan_steps(self, owner: str, k: int = 10) -> Steps[Plan]:
        """The plan the next search for `owner` follows (counts read only when not cached)."""
        owned = yield from self.owner_count_steps(owner)
        total = yield from self.total_count_steps()
        return plan_for(owned, total, k, self.safety)

    def owner_count_steps(self, owner: str) -> Steps[int]:
        """The owner's entity count, from the cache or one `entity_owner_count` read."""
        hit = self._cached(owner)
        if hit is not None:
            return hit
        rows = yield from read("entity_owner_count", owner=owner)
        return self._remember(owner, int(rows[0]["count"]))

    def total_count_steps(self) -> Steps[int]:
        """Every owner's entities (the vector index's population), cached likewise."""
        hit = self._cached(None)
        if hit is not None:
            return hit
        rows = yield from read("entity_count")
        return self._remember(None, int(rows[0]["count"]))

    def _scan_steps(self, owner: str, vec: list[float], k: int) -> Steps[list[dict[str, Any]]]:
        rows = yield from read("entity_vector_scan", owner=owner, vector=vec, k=k)
        return self._scan_hits(rows)

    def _scan_hits(self, rows: Rows) -> list[dict[str, Any]]:
        to_cos = self.store.dialect.cosine_from_function
        found = [_row(r, to_cos(r["score"])) for r in rows if r["score"] > _NO_EMBEDDING]
        found.sort(key=lambda r: (-r["score"], r["id"]))  # the statement leaves ties unordered
        return found

    def _over_fetch_query(self, owner: str, vec: list[float], k: int, candidates: int) -> Query:
        return query(
            "entity_vector_candidates",
            index=self.store.dialect.entity_vector_index,
            candidates=int(candidates),
            vector=vec,
            owner=owner,
            k=k,
        )

    def _candidate_hits(self, rows: Rows) -> list[dict[str, Any]]:
        to_cos = self.store.dialect.cosine_from_function  # rescored exactly by the statement
        return [_row(r, to_cos(r["score"])) for r in rows]

    # -- the same, blocking ----------------------------------------------------------------------

    def similar(self, owner: str, vector: Sequence[float], k: int = 10) -> list[dict[str, Any]]:
        """The owner's `k` entities closest to `vector`: [{id, name, type, score}], best first,
        score = raw cosine in [-1, 1]."""
        return run_sync(self.similar_steps(owner, vector, k), self.store)

    def search(self, owner: str, vector: Sequence[float], k: int = 10) -> SearchResult:
        """`similar`, plus which strategy ran and the plan it followed."""
        return run_sync(self.search_steps(owner, vector, k), self.store)

    def plan(self, owner: str, k: int = 10) -> Plan:
        """The strategy the next search for `owner` would use (counts from the cache)."""
        return run_sync(self.plan_steps(owner, k), self.store)

    def scan(self, owner: str, vector: Sequence[float], k: int = 10) -> list[dict[str, Any]]:
        """Strategy "scan" alone: exact, scores every entity of the owner."""
        owner, vec, k = self._check(owner, vector, k)
        return run_sync(self._scan_steps(owner, vec, k), self.store)

    def over_fetch(
        self, owner: str, vector: Sequence[float], k: int, candidates: int
    ) -> list[dict[str, Any]]:
        """Strategy "index" alone: the owner's entities among the index's `candidates` nearest
        (possibly fewer than k; then they are not necessarily the owner's best)."""
        owner, vec, k = self._check(owner, vector, k)
        rows = run_sync(read_query(self._over_fetch_query(owner, vec, k, candidates)), self.store)
        return self._candidate_hits(rows)

    def owner_count(self, owner: str) -> int:
        """The owner's entity count, cached for `count_ttl` seconds."""
        return run_sync(self.owner_count_steps(owner), self.store)

    def total_count(self) -> int:
        """Every owner's entities, cached for `count_ttl` seconds."""
        return run_sync(self.total_count_steps(), self.store)

    # -- the count cache -------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop every cached count (the next search counts again)."""
        with self._lock:
            self._counts.clear()

    def _cached(self, key: str | None) -> int | None:
        now = time.monotonic()
        with self._lock:
            hit = self._counts.get(key)
            if hit is not None and now - hit[0] < self.count_ttl:
                self._counts.move_to_end(key)
                return hit[1]
        return None

    def _remember(self, key: str | None, value: int) -> int:
        with self._lock:
            self._counts[key] = (time.monotonic(), value)
            self._counts.move_to_end(key)
            while len(self._counts) > _MAX_CACHED_OWNERS:
                self._counts.popitem(last=False)
        return value

    # -- input -----------------------------------------------------------------------------------

    def _check(self, owner: str, vector: Sequence[float], k: int) -> tuple[str, list[float], int]:
        if not isinstance(owner, str) or not owner:
            raise ValidationError("owner must be a non-empty string, e.g. Scope.of(...).owner")
        check_int("k", k, 1, MAX_K)
        try:
            vec = [float(x) for x in vector]
        except (TypeError, ValueError) as exc:
            raise ValidationError("vector must be a sequence of numbers") from exc
        if len(vec) != self.store.dimensions:
            raise ValidationError(
                f"vector has {len(vec)} dimensions; this store's embeddings have "
                f"{self.store.dimensions}"
            )
        if not all(math.isfinite(x) for x in vec) or not any(vec):
            raise ValidationError("vector must be finite and not all zeros")
        return owner, vec, k


def _row(row: dict[str, Any], cosine: float) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "score": min(1.0, max(-1.0, cosine)),
    }


_searchers: weakref.WeakKeyDictionary[GraphStore, EntitySearch] = weakref.WeakKeyDictionary()
_searchers_lock = threading.Lock()


def searcher(store: GraphStore) -> EntitySearch:
    """The store's shared `EntitySearch` (one count cache per store)."""
    with _searchers_lock:
        found = _searchers.get(store)
        if found is None:
            found = _searchers[store] = EntitySearch(store)
        return found


def similar_entities(
    store: GraphStore, owner: str, vector: Sequence[float], k: int = 10
) -> list[dict[str, Any]]:
    """The `owner`'s `k` entities most similar to `vector`, best first.

    Returns ``[{"id", "name", "type", "score"}]`` with score the raw cosine in [-1, 1], and only
    entities whose ``owner`` is `owner` (e.g. ``Scope.of(user_id="alice").owner``). Picks the
    exact owner scan or the index over-fetch by the owner's share of all entities (see the
    module docstring for the strategies and how the plan is chosen).
    """
    return searcher(store).similar(owner, vector, k)

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
per-candidate cost, constants below) fed by the owner's and the store's entity counts. The
counts cost a query each (~3 ms for 500 entities, ~13 ms for 5,000: the count loads the owner's
records), so they are cached for ``COUNT_TTL_SECONDS``. A stale count can only change which
strategy runs and how many candidates are fetched, i.e. speed: the scan is exact whatever the
count says, and the index path returns only when it got k of the owner's entities, which is
the owner's true top k no matter how the count was wrong. Nothing is ever skipped because a
count says zero.

Measured on the embedded ArcadeDB (2 shared cores, MiniLM vectors of 50k realistic entity names
in five entity labels; see ``benchmarks/store_bench.py``; the machine was shared and loaded, so
only ratios measured in the same run were trusted, plus the process's CPU time per query):

* The floor is a Bolt round trip that ships the 384-float query vector: ~3 ms of CPU, about
  half of it the driver packing the floats in pure Python (1.5 ms per vector; ``neo4j-rust-ext``
  packs it in 0.04 ms).
* scan: ~4 ms + ~7 us per owned entity. Ordering by score alone (ties are ordered here) instead
  of ``score, n.id`` saved ~25% for 500 entities.
* index: ~7 ms + ~30 us per candidate when ArcadeDB searched an index on ``Entity``: it keeps
  one graph per label of an indexed type (``Entity~Person``, ...; five here) and searches each
  with k'. The lookup now searches the ``EntityVector`` mirror instead (one graph; see
  ``cypher/arcadedb/entity_vector_mirror.cypher``): k'=150 in ~4.5 ms instead of ~9.5 ms for
  the raw statement. The constants below are still the old ones, so the plan now leans towards
  the scan for owners near the crossover (a speed matter only). The index is built with degree
  16 and INT8 quantization (``dialect.ENTITY_VECTOR_INDEX_OPTIONS``): INT8 alone cut ~10%; the
  exact rescoring of the owner's hits in the statement keeps quantized scores out of results
  and cost nothing measurable. Tried without gain: storing vectors in the graph (no change), SQL
  ``vector.neighbors`` through Cypher (same cost; its RID ``filter`` needs the owner's RIDs,
  which cost as much as counting them), passing the vector as a string (no gain on the scan).
* Owner hits among the global top k' follow the owner's share: for a 10%-owner the rank of its
  10th entity had p50 92, p99 157, max 173 over 150 queries, so SAFETY 1.5 (k'=150) comes back
  short for a few % of queries (recall 0.998 in the same run as 0.97 for k'=120), and those
  get one fetch of 3 x 150 instead of the 5,000-entity scan. For a 1%-owner p50 874, max 2190.
* So at 50k entities the index wins above ~2,000 owned entities (4%): the 10%-owner gets
  k'=150 and the 1%-owner the scan (its index path would need k'~1,500). At 10k entities both
  benchmark owners scan (the crossover is ~1,050 there).
* ``benchmarks/store_bench.py`` (150 misspelled / partial / foreign name queries per owner,
  recall@10 against exact numpy), ``--lookup-only``, idle machine, index settled after the bulk
  load: 50k entities, 10%-owner: k'=150, recall 0.986 (145 index, 5 index+deeper), p50 6.2 ms vs
  48.9 ms for the brute-force scan in the same run (7.9x); 1%-owner: scan, recall 1.0, p50
  7.4 ms. 10k: both scans, recall 1.0. Before the mirror: 15-18 ms, 2.9-3.0x.
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

from .effects import Query, Rows, Steps, query, read, read_query, run_sync
from .errors import ValidationError
from .store.graph_store import GraphStore

# Over-fetch factor: ask the index for SAFETY * k * total / owned candidates.
SAFETY = 1.5
# A short first over-fetch is retried once with DEEPER times the candidates (then the scan).
DEEPER = 3.0
# Linear cost model (milliseconds), measured as described in the module docstring.
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
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise ValidationError(f"k must be an integer in 1..{MAX_K}, got {k!r}")
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
    module docstring for the strategy and its measured thresholds).
    """
    return searcher(store).similar(owner, vector, k)

"""Owner-scoped semantic entity lookup: "which of this owner's entities is this name closest to?"

Every owner's entities share one vector index, and ``db.index.vector.queryNodes`` filters by
owner only *after* its lookup. So the owner's share of all entities decides what works:

* **scan** (exact): score every entity of the owner (found through the ``Entity.owner`` index)
  with ``vector.similarity.cosine`` and keep the best k (``cypher/entity_vector_scan.cypher``).
  Cost grows with the owner's size, not the store's.
* **index** (over-fetch, then filter): ask the index for the ``candidates`` nearest entities of
  every owner and keep the owner's (``cypher/entity_vector_candidates.cypher``), with
  ``candidates = ceil(SAFETY * k * total / owned)``. Cost grows with ``candidates``.
  When at least k of the candidates are the owner's, they *are* the owner's top k (any better
  entity of the owner would be among the global top ``candidates`` too), up to the index's own
  approximation. When fewer come back, the owner's top k cannot be known from them, so the
  search falls back to the exact scan ("index+scan").

Which one runs follows a linear cost model of both statements (fixed cost + per-entity or
per-candidate cost, constants below) fed by the owner's and the store's entity counts. The
counts cost a query each (~3 ms for 500 entities, ~13 ms for 5,000: the count loads the owner's
records), so they are cached for ``COUNT_TTL_SECONDS``. A stale count can only change which
strategy runs and how many candidates are fetched, i.e. speed: the scan is exact whatever the
count says, and the index path returns only when it got k of the owner's entities, which is
the owner's true top k no matter how the count was wrong. Nothing is ever skipped because a
count says zero.

Measured on the embedded ArcadeDB (2 shared cores, MiniLM vectors of 50k realistic entity names
in five entity labels; see ``benchmarks/store_bench.py``):

* scan: ~4 ms + ~9 us per owned entity (500 entities: 8.5 ms; 5,000: 47-52 ms). Of the fixed
  part, ~2 ms is shipping the 384-float query vector over Bolt.
* index: ~8 ms + ~35 us per candidate (k'=10: 8 ms, 100: 12 ms, 200: 16.6 ms, 500: 26.5 ms).
  ArcadeDB keeps one HNSW sub-index per entity label and searches each with k', which is why
  this is ~1.5x the single-label cost (5.3 ms + 22 us per candidate).
* Owner hits among the global top k' follow the owner's share: for a 10%-owner the rank of its
  10th entity had p50 92, p99 157, max 173 over 150 queries (so SAFETY 1.0 -> 35% short,
  1.5 -> 3%, 2.0 -> 0%); for a 1%-owner p50 874, max 2190. SAFETY = 2 keeps fallbacks rare
  (the binomial tail at mean 2k is <1%) for a few ms more than 1.5.
* So at 50k entities the index wins above ~2,200 owned entities (4.4%): the 10%-owner gets
  k'=200 and the 1%-owner the scan (its index path would need k'~2,000, ~78 ms). At 10k
  entities the crossover is ~1,100 owned entities, so both benchmark owners scan there.
* ``benchmarks/store_bench.py`` (150 misspelled / partial / foreign name queries per owner,
  recall@10 against exact numpy): 50k entities, 10%-owner: index k'=203, recall 0.999, p50 15.8
  ms vs 56.2 ms for the brute-force scan (3.6x); 1%-owner: scan, recall 1.0, 9.4 ms. 10k
  entities: 11.7 ms (10%) and 5.1 ms (1%), both scans, recall 1.0. The plain over-fetch of 300
  without the fallback gets recall 0.38 (50k) / 0.32 (10k) for the 1%-owner.
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

from .errors import ValidationError
from .store.graph_store import GraphStore

# Over-fetch factor: ask the index for SAFETY * k * total / owned candidates.
SAFETY = 2.0
# Linear cost model (milliseconds), measured as described in the module docstring.
SCAN_FIXED_MS = 4.0
SCAN_MS_PER_ENTITY = 0.009
INDEX_FIXED_MS = 8.0
INDEX_MS_PER_CANDIDATE = 0.035
# Never ask the index for more than this (the scan is cheaper long before).
MAX_CANDIDATES = 10_000
# How long an owner's / the store's entity count is trusted (affects speed only, see above).
COUNT_TTL_SECONDS = 10.0
_MAX_CACHED_OWNERS = 10_000
MAX_K = 1_000

Strategy = Literal["scan", "index", "index+scan"]


@dataclass(frozen=True)
class Plan:
    """What a search will do, from the (possibly cached) counts."""

    strategy: Literal["scan", "index"]
    owned: int
    total: int
    candidates: int  # index over-fetch size (0 for a scan)


@dataclass(frozen=True)
class SearchResult:
    """The owner's best entities, best first, and how they were found."""

    results: list[dict[str, Any]]
    strategy: Strategy
    plan: Plan


def plan_for(owned: int, total: int, k: int, safety: float = SAFETY) -> Plan:
    """Pick scan or index for an owner of `owned` entities among `total` (pure; see module doc).

    >>> plan_for(5000, 50000, 10)
    Plan(strategy='index', owned=5000, total=50000, candidates=200)
    >>> plan_for(500, 50000, 10).strategy
    'scan'
    """
    total = max(total, owned)
    if owned <= 0:
        return Plan("scan", owned, total, 0)
    candidates = min(max(k, math.ceil(safety * k * total / owned)), MAX_CANDIDATES)
    index_ms = INDEX_FIXED_MS + INDEX_MS_PER_CANDIDATE * candidates
    scan_ms = SCAN_FIXED_MS + SCAN_MS_PER_ENTITY * owned
    if candidates >= MAX_CANDIDATES or index_ms >= scan_ms:
        return Plan("scan", owned, total, 0)
    return Plan("index", owned, total, candidates)


class EntitySearch:
    """Owner-scoped entity search over one store, with its short-lived count cache.

    Use `similar_entities(store, ...)`, which keeps one of these per store; build one yourself
    to change `safety` or `count_ttl` (e.g. 0 to count on every call).
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

    # -- the search ------------------------------------------------------------------------------

    def similar(self, owner: str, vector: Sequence[float], k: int = 10) -> list[dict[str, Any]]:
        """The owner's `k` entities closest to `vector`: [{id, name, type, score}], best first,
        score = raw cosine in [-1, 1]."""
        return self.search(owner, vector, k).results

    def search(self, owner: str, vector: Sequence[float], k: int = 10) -> SearchResult:
        """`similar`, plus which strategy ran and the plan it followed."""
        owner, vec, k = self._check(owner, vector, k)
        plan = self.plan(owner, k)
        if plan.strategy == "index":
            hits = self.over_fetch(owner, vec, k, plan.candidates)
            if len(hits) >= k:
                return SearchResult(hits, "index", plan)
            return SearchResult(self.scan(owner, vec, k), "index+scan", plan)
        return SearchResult(self.scan(owner, vec, k), "scan", plan)

    def plan(self, owner: str, k: int = 10) -> Plan:
        """The strategy the next search for `owner` would use (counts from the cache)."""
        return plan_for(self.owner_count(owner), self.total_count(), k, self.safety)

    def scan(self, owner: str, vector: Sequence[float], k: int = 10) -> list[dict[str, Any]]:
        """Strategy "scan" alone: exact, scores every entity of the owner."""
        owner, vec, k = self._check(owner, vector, k)
        rows = self.store.read("entity_vector_scan", owner=owner, vector=vec, k=k)
        to_cos = self.store.dialect.cosine_from_function
        return [_row(r, to_cos(r["score"])) for r in rows]

    def over_fetch(
        self, owner: str, vector: Sequence[float], k: int, candidates: int
    ) -> list[dict[str, Any]]:
        """Strategy "index" alone: the owner's entities among the index's `candidates` nearest
        (possibly fewer than k; then they are not necessarily the owner's best)."""
        owner, vec, k = self._check(owner, vector, k)
        rows = self.store.read(
            "entity_vector_candidates",
            index=self.store.dialect.entity_vector_index,
            candidates=int(candidates),
            vector=vec,
            owner=owner,
            k=k,
        )
        to_cos = self.store.dialect.cosine_from_index_score
        return [_row(r, to_cos(r["score"])) for r in rows]

    # -- counts ----------------------------------------------------------------------------------

    def owner_count(self, owner: str) -> int:
        """The owner's entity count, cached for `count_ttl` seconds."""
        return self._cached(owner, lambda: self.store.read("entity_owner_count", owner=owner))

    def total_count(self) -> int:
        """Every owner's entities (the vector index's population), cached likewise."""
        return self._cached(None, lambda: self.store.read("entity_count"))

    def forget(self) -> None:
        """Drop every cached count (the next search counts again)."""
        with self._lock:
            self._counts.clear()

    def _cached(self, key: str | None, count: Any) -> int:
        now = time.monotonic()
        with self._lock:
            hit = self._counts.get(key)
            if hit is not None and now - hit[0] < self.count_ttl:
                self._counts.move_to_end(key)
                return hit[1]
        value = int(count()[0]["count"])  # outside the lock: a slow count blocks nobody
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

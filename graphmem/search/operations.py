"""The operations `search`, `neighbors` and the read-only `query` passthrough, written once as
effect generators taking the `Context` first (see `graphmem.effects`), for `Memory` and
`AsyncMemory`. Each checks its arguments before any step, then composes the steps of the
modules beside it (see `graphmem.search`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..checks import check_int
from ..context import Context
from ..effects import Steps, compute, read, read_raw
from ..errors import NotFoundError, ValidationError
from ..filters import matches
from ..filters import validate as validate_filters
from ..ontology import relation_type_name
from ..resolve import name_key
from ..scope import Scope
from ..times import now_iso, to_iso
from . import rerank as reranking
from .derived import derived_record, derived_rows, match_derived
from .entry_points import EPISODE_K_MIN, entry_points
from .found import MAX_HOPS, Found
from .intent import parse
from .readonly import check as check_read_only
from .scoring import rank
from .shaping import attach_sources, complete, shape
from .traversal import expand, traverse

MAX_LIMIT = 1000
RERANK_POOL = 3  # a reranker sees limit x this many candidates


def search(
    ctx: Context,
    query: str,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    limit: int = 10,
    threshold: float | None = None,
    filters: dict[str, Any] | None = None,
    as_of: Any = None,
    hops: int = 2,
    rerank: reranking.Reranker | bool | None = None,
    include_history: bool = False,
    include_episodes: bool = True,
    explain: bool = False,
) -> Steps[dict[str, Any]]:
    """Facts (and, when they are the best evidence, episodes) that answer `query`, best first.

    Returns ``{"results", "relations", "entities"}``. Each result has `id` (the memory id),
    `memory`, `score` in [0, 1], `type` ("fact" or "episode"), `source` / `relationship` /
    `target`, valid and recorded times, `metadata`, `sources` (the episodes it came from:
    id, content, metadata) and `path` (the edges from an entry point to it); `explain=True`
    adds the score's parts. `relations` are the edges used, `entities` the entry points.

    `as_of` answers with what was true then (any version whose valid time covers it);
    `include_history` considers every version; `filters` as in `graphmem.filters` (record
    fields, metadata keys, `relationship`, `source_type`/`target_type`); `rerank` takes a
    `graphmem.search.rerank.Reranker`; `include_episodes=False` returns facts only.
    """
    scope = Scope.of(user_id, agent_id, run_id)
    _check_search_args(query, limit, threshold, hops, rerank)
    if filters is not None:
        validate_filters(filters)
    at = to_iso(as_of, "as_of")
    now = now_iso()
    parsed = parse(query, ctx.ontology, scope.user_id or scope.agent_id)
    vectors = yield from compute(ctx.embed, [query])
    vector = vectors[0]
    time_params = {"history": bool(include_history), "as_of": at, "now": now}

    found = Found()
    yield from entry_points(ctx, scope, parsed, vector, found, max(2 * limit, EPISODE_K_MIN))
    yield from traverse(ctx, scope, parsed, vector, found, hops, time_params)
    yield from match_derived(ctx, scope, parsed, found, time_params)

    results = rank(parsed, found, include_episodes)
    if filters is not None:  # filters may look at any field: every candidate in full
        results = yield from complete(scope, results)
        results = [r for r in results if matches(filters, r)]
    if threshold is not None:
        results = [r for r in results if r["score"] >= threshold]
    if isinstance(rerank, reranking.Reranker):
        pool = yield from complete(scope, results[: limit * RERANK_POOL])
        results = yield from compute(ranking_rerank, rerank, query, pool)
        if threshold is not None:
            results = [r for r in results if r["score"] >= threshold]
    results = yield from complete(scope, results[:limit], sources=True)
    yield from attach_sources(scope, results)
    return shape(results, found, explain)


def ranking_rerank(
    reranker: reranking.Reranker, query: str, results: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run the reranker (a CPU-bound or remote call: search yields it as a `Compute`)."""
    return reranking.apply(reranker, query, results)


def neighbors(
    ctx: Context,
    entity: str,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    hops: int = 1,
    types: Iterable[str] | None = None,
    as_of: Any = None,
    include_history: bool = False,
    limit: int = 100,
) -> Steps[dict[str, Any]]:
    """The facts within `hops` of the owner's entity named `entity`, nearest first.

    `types` restricts the relation types followed (a derived relation such as WORKS_WITH
    is computed from its pattern). Each result has a `hops` distance. Per entity and hop at
    most 2 x `PER_ENTITY` facts are read (see `traversal.expand`). Raises NotFoundError when
    the scope has no entity of that name.

    >>> m.neighbors("Alice", user_id="u", types=["WORKS_WITH"])  # doctest: +SKIP
    {'entity': {'id': ..., 'name': 'Alice', ...}, 'results': [...], 'entities': [...]}
    """
    scope = Scope.of(user_id, agent_id, run_id)
    if not isinstance(entity, str) or not name_key(entity):
        raise ValidationError("entity must be a non-empty name")
    check_int("hops", hops, 1, MAX_HOPS)
    check_int("limit", limit, 1, MAX_LIMIT)
    wanted = None if types is None else sorted({relation_type_name(t) for t in types})
    derived = [d for d in ctx.ontology.derived_relations if wanted and d.name in wanted]
    stored = wanted
    rows = yield from read("search_entities_named", owner=scope.owner, keys=[name_key(entity)])
    if not rows:
        raise NotFoundError(f"no entity named {entity!r} in this scope")
    start = rows[0]
    time_params = {"history": bool(include_history), "as_of": to_iso(as_of, "as_of")}
    time_params["now"] = now_iso()
    distance = {start["id"]: 0}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    frontier = [start["id"]]
    for hop in range(1, hops + 1):
        if not frontier:
            break
        facts = yield from expand(scope, frontier, stored, stored or [], None, time_params, limit)
        frontier = []
        for fact, _ in facts:
            if fact["version_id"] in seen:
                continue
            seen.add(fact["version_id"])
            out.append({**fact, "type": "fact", "hops": hop})
            for end in (fact["source_id"], fact["target_id"]):
                if end not in distance:
                    distance[end] = hop
                    frontier.append(end)
    for d in derived:
        pairs = yield from derived_rows(scope, d, [start["id"]], time_params)
        out.extend({**derived_record(d, ctx, row), "type": "fact", "hops": 1} for row in pairs)
    out.sort(key=lambda f: (f["hops"], f["relationship"], f["target"] or ""))
    reached = {}
    for f in out:
        for end, name, typ in (
            (f["source_id"], f["source"], f["source_type"]),
            (f["target_id"], f["target"], f["target_type"]),
        ):
            if end != start["id"] and end not in reached:
                reached[end] = {"id": end, "name": name, "type": typ, "hops": f["hops"]}
    results = yield from complete(scope, out[:limit])
    return {
        "entity": {"id": start["id"], "name": start["name"], "type": start["type"]},
        "results": results,
        "entities": list(reached.values()),
    }


def query(
    ctx: Context,
    cypher: str,
    params: dict[str, Any] | None = None,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
) -> Steps[list[dict[str, Any]]]:
    """Run your own read-only Cypher; rows come back as dicts.

    Raw access: the statement sees the whole database, so it must scope itself. The scope is
    passed as ``$owner`` (which the statement must use), ``$user_id``, ``$agent_id`` and
    ``$run_id``. Writes are refused before anything is sent and the statement runs in a read
    transaction (see `graphmem.search.readonly` for both layers).

    >>> m.query("MATCH (n:Entity {owner: $owner}) RETURN n.name AS name", user_id="u")
    ... # doctest: +SKIP
    [{'name': 'Alice'}, {'name': 'Acme'}]
    """
    scope = Scope.of(user_id, agent_id, run_id)
    check_read_only(cypher)
    given = dict(params or {})
    clash = set(given) & {"owner", "user_id", "agent_id", "run_id"}
    if clash:
        raise ValidationError(f"query() sets {sorted(clash)} from the scope; do not pass them")
    rows = yield from read_raw(cypher, {**given, **scope.params()})
    return rows


def _check_search_args(query: Any, limit: Any, threshold: Any, hops: Any, reranker: Any) -> None:
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("query must be a non-empty string")
    check_int("limit", limit, 1, MAX_LIMIT)
    check_int("hops", hops, 0, MAX_HOPS)
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.0 <= threshold <= 1.0
    ):
        raise ValidationError(f"threshold must be a number in [0, 1], got {threshold!r}")
    if reranker not in (None, False) and not isinstance(reranker, reranking.Reranker):
        raise ValidationError(
            "rerank takes a reranker, an object with rerank(query, documents) -> scores "
            "(see graphmem.search.rerank); none is configured by default"
        )

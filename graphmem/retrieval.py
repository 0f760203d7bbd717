"""Retrieval: `search`, `neighbors` and the read-only `query` passthrough, written once as
effect generators (see `graphmem.effects`) for `Memory` and `AsyncMemory`.

How `search` answers "where does Alice's manager live?":

1. **Entry points.** The query is read with the ontology (`graphmem.intent`): its word
   n-grams are looked up as the owner's entity names (exact, through the (owner, name_key)
   index; "I"/"my"/"the user" mean the scope's own entity), its words in the entity full-text
   index, its embedding in the entity vector index (`graphmem.entity_search`, owner-scoped) and
   in the episode vector index (over-fetch then keep the scope's; the exact scan of the scope's
   episodes when that leaves fewer than needed). Episodes bring the entities they mention.
2. **Traversal.** From the entry entities, `hops` rounds of `cypher/search_expand.cypher`
   collect the facts in scope and time (current and unexpired; or true at `as_of`; or every
   version with `include_history`), each round keeping the facts most similar to the query.
   A round expands at most `FRONTIER` entities (the named and strongest entry points, then
   those reached by the most similar facts) and reads at most `PER_ENTITY` facts of each, of
   the relation types the query asks about and of any type: a hub such as the user can hold
   thousands, and reading all of them made search slow as the graph grew.
   A possessive chain ("Alice's manager") is followed through the facts found: the entities it
   reaches become what the question is about. A derived relation the query asks for
   (WORKS_WITH from two WORKS_AT at one organization at overlapping times) is matched as a
   graph pattern (`cypher/search_derived_pair.cypher`), not guessed from similarity.
   Traversal reads each fact light (what ranking needs); the full records are read for the
   results only (`cypher/search_facts.cypher`).
3. **Ranking** (`graphmem.ranking`): relation intent, whether a fact touches what the question
   is about, personalized PageRank from the entry points, similarity to the query and recency,
   blended into a score in [0, 1]; episodes (raw turns) compete on the same scale, so an
   episode is returned when it is the best evidence. Filters and `threshold` apply, an
   optional reranker reorders (`graphmem.rerank`), and the episodes each fact came from are
   attached as its `sources`.

>>> with Memory() as m:  # doctest: +SKIP
...     m.add_relation("Alice", "REPORTS_TO", "Bob", user_id="u")
...     m.add_relation("Bob", "LIVES_IN", "Paris", user_id="u")
...     m.search("Where does Alice's manager live?", user_id="u")["results"][0]["memory"]
'Bob lives in Paris'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import ranking, records
from . import rerank as reranking
from .context import Context
from .effects import Query, Steps, compute, read, read_all, read_raw
from .effects import query as statement
from .errors import NotFoundError, ValidationError
from .filters import matches
from .filters import validate as validate_filters
from .intent import STOPWORDS, ParsedQuery, parse
from .ontology import DerivedRelation, relation_type_name
from .readonly import check as check_read_only
from .resolve import name_key
from .scope import Scope
from .times import from_store, now_iso, to_iso

MAX_LIMIT = 1000
MAX_HOPS = 4
ENTITY_K = 5  # nearest entities taken as entry points
EPISODE_K_MIN = 20  # episodes scored per search (at least; 2 x limit when larger)
EPISODE_CANDIDATES = 200  # episode index over-fetch before keeping the scope's
# Entity full-text hits read before keeping the owner's: at least this many, more for an owner
# holding a small share of all entities (FULLTEXT_SHARE x ENTITY_K x total / owned), at most
# FULLTEXT_MAX.
FULLTEXT_MIN, FULLTEXT_SHARE, FULLTEXT_MAX = 200, 4, 10_000
EPISODE_SEEDS = 5  # the best episodes whose mentioned entities seed the traversal
EXPAND_LIMIT = 100  # facts kept per traversal round (the most similar to the query)
# Entities expanded per round: the named ones and strongest entry points, then the entities
# reached by the facts most similar to the query. Without a cap the second round expanded
# ~120 entities (every end of 200 facts) and took most of a search's time.
FRONTIER = 32
# Facts read per entity and round, of the types the query asks about and of any type: a hub
# (the user, a big employer) can have thousands, and reading them all dominated search time.
PER_ENTITY = 64
DERIVED_LIMIT = 200
RERANK_POOL = 3  # a reranker sees limit x this many candidates
# Entry weights: how strongly each kind of entry point restarts the PageRank walk.
W_NAMED, W_FULLTEXT, W_VECTOR, W_EPISODE, W_CHAIN_START = 1.0, 0.6, 0.8, 0.5, 0.3


@dataclass
class _Candidate:
    """A fact found by traversal (or a derived one), before scoring."""

    record: dict[str, Any]
    similarity: float
    path: list[str] = field(default_factory=list)  # version ids of the edges that explain it


@dataclass
class _Found:
    """Everything the entry points and the traversal found."""

    seeds: dict[str, float] = field(default_factory=dict)  # entity id -> restart weight
    focus: set[str] = field(default_factory=set)  # what the question is about
    entry: dict[str, dict[str, Any]] = field(default_factory=dict)  # entity id -> entry point
    facts: dict[str, _Candidate] = field(default_factory=dict)  # version id -> candidate
    episodes: list[dict[str, Any]] = field(default_factory=list)
    named: dict[str, str] = field(default_factory=dict)  # entity id -> the query's name key
    depth: dict[str, int] = field(default_factory=dict)  # entity id -> hops from an entry point
    reached_by: dict[str, str] = field(default_factory=dict)  # entity id -> fact version id

    def path(self, fact: dict[str, Any]) -> list[str]:
        """Version ids of the facts leading from an entry point to `fact` (itself excluded)."""
        ends = (fact["source_id"], fact["target_id"])
        node = min(ends, key=lambda e: (e not in self.focus, self.depth.get(e, MAX_HOPS + 1)))
        out: list[str] = []
        while node in self.reached_by and len(out) <= MAX_HOPS:
            vid = self.reached_by[node]
            out.append(vid)
            step = self.facts[vid].record
            node = step["source_id"] if step["target_id"] == node else step["target_id"]
        return out[::-1]

    def seed(self, entity: dict[str, Any], weight: float, via: str) -> None:
        """Add an entry point; a name found in the query keeps the weight it was given."""
        eid = entity["id"]
        if weight <= 0.0 or (eid in self.named and via != "name"):
            return
        if via == "name" or weight > self.seeds.get(eid, -1.0):
            self.seeds[eid] = weight
            self.entry[eid] = {
                "id": eid,
                "name": entity.get("name"),
                "type": entity.get("type"),
                "score": round(ranking.clamp01(weight), 6),
                "via": via,
            }


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
    `graphmem.rerank.Reranker`; `include_episodes=False` returns facts only.
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

    found = _Found()
    yield from _entry_points(ctx, scope, parsed, vector, found, max(2 * limit, EPISODE_K_MIN))
    yield from _traverse(ctx, scope, parsed, vector, found, hops, time_params)
    yield from _derived(ctx, scope, parsed, found, time_params)

    results = _rank(parsed, found, include_episodes)
    if filters is not None:  # filters may look at any field: every candidate in full
        results = yield from _complete(scope, results)
        results = [r for r in results if matches(filters, r)]
    if threshold is not None:
        results = [r for r in results if r["score"] >= threshold]
    if isinstance(rerank, reranking.Reranker):
        pool = yield from _complete(scope, results[: limit * RERANK_POOL])
        results = yield from compute(ranking_rerank, rerank, query, pool)
        if threshold is not None:
            results = [r for r in results if r["score"] >= threshold]
    results = yield from _complete(scope, results[:limit])
    yield from _attach_sources(scope, results)
    return _shape(results, found, explain)


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
    most 2 x `PER_ENTITY` facts are read (see `_expand`). Raises NotFoundError when the scope
    has no entity of that name.

    >>> m.neighbors("Alice", user_id="u", types=["WORKS_WITH"])  # doctest: +SKIP
    {'entity': {'id': ..., 'name': 'Alice', ...}, 'results': [...], 'entities': [...]}
    """
    scope = Scope.of(user_id, agent_id, run_id)
    if not isinstance(entity, str) or not name_key(entity):
        raise ValidationError("entity must be a non-empty name")
    _check_int("hops", hops, 1, MAX_HOPS)
    _check_int("limit", limit, 1, MAX_LIMIT)
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
        facts = yield from _expand(scope, frontier, stored, stored or [], None, time_params, limit)
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
        pairs = yield from _derived_rows(scope, d, [start["id"]], time_params)
        out.extend({**_derived_record(d, ctx, row), "type": "fact", "hops": 1} for row in pairs)
    out.sort(key=lambda f: (f["hops"], f["relationship"], f["target"] or ""))
    reached = {}
    for f in out:
        for end, name, typ in (
            (f["source_id"], f["source"], f["source_type"]),
            (f["target_id"], f["target"], f["target_type"]),
        ):
            if end != start["id"] and end not in reached:
                reached[end] = {"id": end, "name": name, "type": typ, "hops": f["hops"]}
    results = yield from _complete(scope, out[:limit])
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
    transaction (see `graphmem.readonly` for both layers).

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


# -- entry points and traversal ------------------------------------------------------------------


def _entry_points(
    ctx: Context,
    scope: Scope,
    parsed: ParsedQuery,
    vector: list[float],
    found: _Found,
    episode_k: int,
) -> Steps[None]:
    """Seed `found` from every entry point. Their statements are independent, so they are
    read at once (`read_all`); what each found is then applied in a fixed order."""
    words = [w for w in re.findall(r"\w+", parsed.text.lower()) if w not in STOPWORDS]
    text = " ".join(words)
    narrow = scope.narrow()
    candidates = max(EPISODE_CANDIDATES, 4 * episode_k)
    queries: dict[str, Query] = {}
    if parsed.name_keys:
        queries["named"] = statement(
            "search_entities_named", owner=scope.owner, keys=list(parsed.name_keys)
        )
    es = ctx.entity_search
    fulltext_candidates = FULLTEXT_MAX
    if es is not None:
        plan = yield from es.plan_steps(scope.owner, ENTITY_K)
        queries["vector"] = es.first_query(plan, scope.owner, vector, ENTITY_K)
        share = FULLTEXT_SHARE * ENTITY_K * plan.total / max(plan.owned, 1)
        fulltext_candidates = min(FULLTEXT_MAX, max(FULLTEXT_MIN, math.ceil(share)))
    if words:
        queries["fulltext"] = statement(
            "search_entities_fulltext",
            index=ctx.dialect.entity_fulltext_index,
            text=text,
            candidates=fulltext_candidates,
            owner=scope.owner,
            k=ENTITY_K,
        )
    queries["episodes"] = statement(
        "search_episodes_candidates",
        index=ctx.dialect.episode_vector_index,
        candidates=candidates,
        vector=vector,
        k=episode_k,
        **narrow,
    )
    if words:
        queries["keyword"] = statement(
            "search_episodes_fulltext",
            index=ctx.dialect.episode_fulltext_index,
            text=text,
            candidates=candidates,
            k=episode_k,
            vector=vector,
            **narrow,
        )
    answers = yield from read_all(*queries.values())
    rows = dict(zip(queries, answers, strict=True))

    chain_starts = {c.start for c in parsed.chains}
    for row in rows.get("named", []):
        start = row["key"] in chain_starts
        found.seed(row, W_CHAIN_START if start else W_NAMED, "name")
        found.named[row["id"]] = row["key"]
        if not start:
            found.focus.add(row["id"])
    best = max((float(r["score"]) for r in rows.get("fulltext", [])), default=0.0)
    for row in rows.get("fulltext", []):
        found.seed(row, W_FULLTEXT * float(row["score"]) / best, "fulltext")
    if es is not None:
        similar = yield from es.finish_steps(plan, queries["vector"], rows["vector"])
        for row in similar.results:
            found.seed(row, W_VECTOR * ranking.clamp01(row["score"]), "vector")
    found.episodes = yield from _episodes(
        ctx, scope, vector, episode_k, rows["episodes"], rows.get("keyword", [])
    )
    for ep in found.episodes[:EPISODE_SEEDS]:
        for entity in ep["entities"]:
            found.seed(entity, W_EPISODE * ep["similarity"], "episode")


def _episodes(
    ctx: Context,
    scope: Scope,
    vector: list[float],
    k: int,
    rows: list[dict[str, Any]],
    keyword: list[dict[str, Any]],
) -> Steps[list[dict[str, Any]]]:
    """The scope's best episodes for the query, fused from two entry points: the k nearest
    by vector (`rows`: index over-fetch; the exact scan is read here if it came back short)
    and the k best keyword matches in the episode full-text index (`keyword`). An episode's
    `similarity` is the mean of its cosine and its keyword score (relative to the best
    keyword hit), so both stay in [0, 1]."""
    to_cos: Callable[[float], float] = ctx.dialect.cosine_from_index_score
    if len(rows) < k:
        rows = yield from read("search_episodes_scan", vector=vector, k=k, **scope.narrow())
        to_cos = ctx.dialect.cosine_from_function
    best = max((float(r["score"]) for r in keyword), default=0.0)
    text_score = {r["episode"]["id"]: float(r["score"]) / best for r in keyword if best > 0}
    by_vector = {r["episode"]["id"] for r in rows}
    out: dict[str, dict[str, Any]] = {}
    for r in [*rows, *keyword]:
        eid = r["episode"]["id"]
        if eid in out:
            continue
        if eid in by_vector:
            cosine = ranking.clamp01(to_cos(r["score"]))
        else:  # a keyword hit the vector search did not return
            cosine = ranking.clamp01(ctx.dialect.cosine_from_function(r["cosine"] or 0.0))
        out[eid] = {
            **_episode(r["episode"]),
            "similarity": ranking.clamp01((cosine + text_score.get(eid, 0.0)) / 2),
            "cosine": cosine,
            "entities": [e for e in r["entities"] if e.get("id")],
            "entity_ids": [e["id"] for e in r["entities"] if e.get("id")],
        }
    return sorted(out.values(), key=lambda e: (-e["similarity"], e["id"]))


def _traverse(
    ctx: Context,
    scope: Scope,
    parsed: ParsedQuery,
    vector: list[float],
    found: _Found,
    hops: int,
    time_params: dict[str, Any],
) -> Steps[None]:
    prefer = sorted(_asked_types(ctx, parsed))
    found.depth = dict.fromkeys(found.seeds, 0)
    frontier = sorted(found.seeds, key=lambda e: (e not in found.named, -found.seeds[e], e))
    frontier = frontier[:FRONTIER]
    for hop in range(1, hops + 1):
        if not frontier:
            break
        facts = yield from _expand(scope, frontier, None, prefer, vector, time_params, EXPAND_LIMIT)
        frontier = []
        for fact, raw_similarity in facts:
            if fact["version_id"] in found.facts:
                continue
            similarity = ctx.dialect.cosine_from_function(raw_similarity or 0.0)
            found.facts[fact["version_id"]] = _Candidate(fact, ranking.clamp01(similarity))
            for end in (fact["source_id"], fact["target_id"]):
                if end not in found.depth:
                    found.depth[end] = hop
                    found.reached_by[end] = fact["version_id"]
                    frontier.append(end)  # rows come most similar first
        if parsed.chains:
            _follow_chains(ctx, parsed, found)
        # what a possessive chain reached comes first ("Alice's manager": her manager)
        frontier = sorted(frontier, key=lambda e: e not in found.focus)[:FRONTIER]


def _expand(
    scope: Scope,
    ids: list[str],
    types: list[str] | None,
    prefer: list[str],
    vector: list[float] | None,
    time_params: dict[str, Any],
    limit: int,
) -> Steps[list[tuple[dict[str, Any], float | None]]]:
    """One round of traversal (cypher/search_expand.cypher): of an entity's facts, up to
    PER_ENTITY of the `prefer` types and PER_ENTITY of any type are considered. Facts come
    light (`records.light`) with their raw similarity, most similar first."""
    rows = yield from read(
        "search_expand",
        ids=ids,
        types=types,
        prefer=prefer,
        per_entity=PER_ENTITY,
        vector=vector,
        limit=limit,
        **scope.narrow(),
        **time_params,
    )
    return [records.light(values) for values in rows[0]["facts"]] if rows else []


def _complete(scope: Scope, results: list[dict[str, Any]]) -> Steps[list[dict[str, Any]]]:
    """`results` with each light fact replaced by its full record (cypher/search_facts.cypher),
    in the same order; a fact deleted since it was traversed is left out."""
    wanted = [
        {"id": r["version_id"], "source_id": r["source_id"], "target_id": r["target_id"]}
        for r in results
        if r.get("light")
    ]
    if not wanted:
        return results
    rows = yield from read("search_facts", facts=wanted, owner=scope.owner)
    full = {f["version_id"]: f for f in map(records.fact, rows)}
    out = []
    for r in results:
        if r.get("light"):
            if r["version_id"] not in full:
                continue
            r = {k: v for k, v in r.items() if k != "light"} | full[r["version_id"]]
        out.append(r)
    return out


def _asked_types(ctx: Context, parsed: ParsedQuery) -> set[str]:
    """Stored relation types the query asks about (intent and possessive chains, with their
    inverses; a derived relation stands for the relations it is made of)."""
    names = {*parsed.intent, *(c.relation for c in parsed.chains)}
    out: set[str] = set()
    for d in ctx.ontology.derived_relations:
        if d.name in names:
            out.update(step.type for step in d.path)
    for r in ctx.ontology.relation_types:
        if r.name in names:
            out.update([r.name, *([r.inverse] if r.inverse else [])])
    return out


def _follow_chains(ctx: Context, parsed: ParsedQuery, found: _Found) -> None:
    """Entities reached by the query's possessive chains become its focus ("Alice's manager"
    -> the entity Alice REPORTS_TO, or who MANAGES Alice)."""
    for chain in parsed.chains:
        rel = ctx.ontology.relation(chain.relation)
        for vid, cand in found.facts.items():
            f = cand.record
            s_ok = found.named.get(f["source_id"]) == chain.start
            t_ok = found.named.get(f["target_id"]) == chain.start
            if f["relationship"] == rel.name and (s_ok or (rel.symmetric and t_ok)):
                target = f["target_id"] if s_ok else f["source_id"]
            elif f["relationship"] == rel.inverse and t_ok:
                target = f["source_id"]
            else:
                continue
            found.focus.add(target)
            found.seed(_end(f, target), W_NAMED, "chain")
            found.reached_by[target] = vid


def _derived(
    ctx: Context,
    scope: Scope,
    parsed: ParsedQuery,
    found: _Found,
    time_params: dict[str, Any],
) -> Steps[None]:
    """Derived relations the query asks about, matched from what the question is about."""
    sources = sorted(found.focus) or sorted(found.seeds)
    if not sources:
        return
    for d in ctx.ontology.derived_relations:
        if parsed.intent.get(d.name, 0.0) <= 0.0:
            continue
        rows = yield from _derived_rows(scope, d, sources, time_params)
        for row in rows:
            fact = _derived_record(d, ctx, row)
            parts = [row["first_fact"]["id"], row["second_fact"]["id"]]
            sims = [found.facts[p].similarity for p in parts if p in found.facts]
            found.facts[fact["version_id"]] = _Candidate(fact, max(sims, default=0.0), parts)


def _derived_rows(
    scope: Scope, d: DerivedRelation, ids: list[str], time_params: dict[str, Any]
) -> Steps[list[dict[str, Any]]]:
    """Rows of `cypher/search_derived_pair.cypher` (two-step patterns; longer ones are not
    matched)."""
    if len(d.path) != 2:
        return []
    first, second = d.path
    rows = yield from read(
        "search_derived_pair",
        ids=ids,
        first=first.type,
        first_out=first.direction == "out",
        second=second.type,
        second_out=second.direction == "out",
        limit=DERIVED_LIMIT,
        **scope.narrow(),
        **time_params,
    )
    return rows


def _derived_record(d: DerivedRelation, ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    """A derived fact shaped like a stored one; its id names the two facts it comes from."""
    a, b = row["first_fact"], row["second_fact"]
    src, dst, via = row["source"], row["target"], row["via"]
    rel = ctx.ontology.relation(d.name)
    text = (rel.template or "{subject} " + d.name.lower() + " {object}").format(
        subject=src["name"], object=dst["name"]
    )
    starts = [from_store(x.get("valid_from")) for x in (a, b)]
    ends = [from_store(x.get("valid_to")) for x in (a, b)]
    recorded = [from_store(x.get("recorded_at")) or "" for x in (a, b)]
    return {
        "id": f"derived:{d.name}:{a['memory_id']}:{b['memory_id']}",
        "memory": f"{text} (via {via['name']})",
        "source": src["name"],
        "relationship": d.name,
        "target": dst["name"],
        "source_type": src.get("type"),
        "target_type": dst.get("type"),
        "derived": True,
        "via": via["name"],
        "version": None,
        "version_id": f"derived:{d.name}:{a['id']}:{b['id']}",
        "status": "current" if a.get("status") == b.get("status") == "current" else "closed",
        "valid_from": max((s for s in starts if s), default=None),
        "valid_to": min((e for e in ends if e), default=None),
        "recorded_at": max(recorded) or None,
        "expired_at": None,
        "created_at": max(recorded) or None,
        "updated_at": max(recorded) or None,
        "user_id": a.get("user_id"),
        "agent_id": a.get("agent_id"),
        "run_id": a.get("run_id"),
        "episode_ids": sorted({*(a.get("episode_ids") or []), *(b.get("episode_ids") or [])}),
        "confidence": None,
        "metadata": None,
        "expiration_date": None,
        "immutable": False,
        "source_id": src["id"],
        "target_id": dst["id"],
    }


# -- ranking and shaping ---------------------------------------------------------------------------


def _rank(parsed: ParsedQuery, found: _Found, include_episodes: bool) -> list[dict[str, Any]]:
    facts = _dedupe_symmetric(found.facts)
    edges = [(c.record["source_id"], c.record["target_id"]) for c in facts]
    edges += [(ep["id"], e) for ep in found.episodes for e in ep["entity_ids"]]
    proximity = ranking.normalized(ranking.personalized_pagerank(edges, found.seeds))
    times = [c.record["valid_from"] or c.record["recorded_at"] for c in facts]
    times += [ep["occurred_at"] for ep in found.episodes]
    newest = max((t for t in times if t), default=None)

    seeds = found.seeds.keys()

    def anchor(ids: Iterable[str]) -> float:
        ids = set(ids)
        if ids & found.focus:
            return 1.0
        return 0.5 if ids & seeds else 0.0

    out: list[dict[str, Any]] = []
    for c in facts:
        f = c.record
        ends = (f["source_id"], f["target_id"])
        features = ranking.FactFeatures(
            intent=parsed.intent.get(f["relationship"], 0.0),
            anchor=anchor(ends),
            proximity=(proximity.get(ends[0], 0.0) + proximity.get(ends[1], 0.0)) / 2,
            similarity=c.similarity,
            recency=ranking.recency(f["valid_from"] or f["recorded_at"], newest),
        )
        out.append(
            {
                **f,
                "type": "fact",
                "score": ranking.blend(features),
                "_path": c.path or [],
                "_features": features,
            }
        )
    if include_episodes:
        focus_keys = {
            name_key(found.entry[e]["name"] or "") for e in found.focus if e in found.entry
        }
        for ep in found.episodes:
            speaker = name_key(ep["name"]) if ep.get("name") else None
            a = anchor(ep["entity_ids"])
            if speaker and speaker in focus_keys:
                a = max(a, 1.0)
            features_e = ranking.EpisodeFeatures(
                similarity=ep["similarity"],
                anchor=a,
                proximity=max((proximity.get(e, 0.0) for e in ep["entity_ids"]), default=0.0),
                recency=ranking.recency(ep["occurred_at"], newest),
            )
            out.append(
                {
                    **_episode_result(ep),
                    "score": ranking.blend(features_e),
                    "_features": features_e,
                    "_path": [],
                }
            )
    out.sort(key=lambda r: (-r["score"], r["type"], str(r["id"])))
    # An episode already cited as a better-ranked fact's source adds nothing: drop it.
    cited: set[str] = set()
    kept = []
    for r in out:
        if r["type"] == "episode" and r["id"] in cited:
            continue
        cited.update(r.get("episode_ids") or [])
        kept.append(r)
    return kept


def _dedupe_symmetric(facts: dict[str, _Candidate]) -> list[_Candidate]:
    """One candidate per (relation, unordered pair): an explicit fact wins over a derived one."""
    best: dict[tuple[Any, ...], _Candidate] = {}
    for c in facts.values():
        f = c.record
        key: tuple[Any, ...] = (f["relationship"], frozenset((f["source_id"], f["target_id"])))
        if not f.get("derived"):
            key = (*key, f["version_id"])
        if f.get("derived"):
            explicit = [
                o
                for o in facts.values()
                if not o.record.get("derived")
                and o.record["relationship"] == f["relationship"]
                and {o.record["source_id"], o.record["target_id"]}
                == {f["source_id"], f["target_id"]}
            ]
            if explicit:
                continue
        if key not in best:
            best[key] = c
    return list(best.values())


def _attach_sources(scope: Scope, results: list[dict[str, Any]]) -> Steps[None]:
    ids = sorted({e for r in results if r["type"] == "fact" for e in r.get("episode_ids") or []})
    episodes: dict[str, dict[str, Any]] = {}
    if ids:
        rows = yield from read("search_sources", ids=ids, owner=scope.owner)
        episodes = {row["episode"]["id"]: _episode(row["episode"]) for row in rows}
    for r in results:
        if r["type"] == "episode":
            continue
        r["sources"] = [_source(episodes[e]) for e in r.get("episode_ids") or [] if e in episodes]


def _shape(results: list[dict[str, Any]], found: _Found, explain: bool) -> dict[str, Any]:
    used: dict[str, dict[str, Any]] = {}
    for r in results:
        parts = r.pop("_path")
        if r["type"] == "fact" and not parts:
            parts = [*found.path(r), r["version_id"]]
        path = [found.facts[v].record for v in parts if v in found.facts]
        r["path"] = [_edge(p) for p in path]
        for p in r["path"]:
            used[f"{p['source']}|{p['relationship']}|{p['target']}"] = p
        features = r.pop("_features")
        if explain:
            r["explanation"] = {k: round(v, 6) for k, v in vars(features).items()}
    return {
        "results": results,
        "relations": list(used.values()),
        "entities": sorted(found.entry.values(), key=lambda e: (-e["score"], e["name"] or "")),
    }


def _end(f: dict[str, Any], entity_id: str) -> dict[str, Any]:
    """The endpoint `entity_id` of fact `f` as an entity dict."""
    side = "source" if f["source_id"] == entity_id else "target"
    return {"id": entity_id, "name": f[side], "type": f[f"{side}_type"]}


def _edge(f: dict[str, Any]) -> dict[str, Any]:
    return {"source": f["source"], "relationship": f["relationship"], "target": f["target"]}


def _episode(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": e["id"],
        "content": e.get("content"),
        "role": e.get("role"),
        "name": e.get("name"),
        "occurred_at": from_store(e.get("occurred_at")),
        "metadata": json.loads(e["metadata"]) if e.get("metadata") else None,
    }


def _source(ep: dict[str, Any]) -> dict[str, Any]:
    return {k: ep[k] for k in ("id", "content", "role", "name", "occurred_at", "metadata")}


def _episode_result(ep: dict[str, Any]) -> dict[str, Any]:
    """An episode as a search result, in the same shape as a fact (no relationship)."""
    return {
        "id": ep["id"],
        "type": "episode",
        "memory": ep["content"],
        "source": ep["name"],
        "relationship": None,
        "target": None,
        "source_type": None,
        "target_type": None,
        "valid_from": ep["occurred_at"],
        "valid_to": None,
        "recorded_at": ep["occurred_at"],
        "created_at": ep["occurred_at"],
        "updated_at": ep["occurred_at"],
        "metadata": ep["metadata"],
        "episode_ids": [ep["id"]],
        "sources": [_source(ep)],
    }


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be an integer in {low}..{high}, got {value!r}")


def _check_search_args(query: Any, limit: Any, threshold: Any, hops: Any, reranker: Any) -> None:
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("query must be a non-empty string")
    _check_int("limit", limit, 1, MAX_LIMIT)
    _check_int("hops", hops, 0, MAX_HOPS)
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.0 <= threshold <= 1.0
    ):
        raise ValidationError(f"threshold must be a number in [0, 1], got {threshold!r}")
    if reranker not in (None, False) and not isinstance(reranker, reranking.Reranker):
        raise ValidationError(
            "rerank takes a reranker, an object with rerank(query, documents) -> scores "
            "(see graphmem.rerank); none is configured by default"
        )

"""LangGraph's `BaseStore` over graphmem: `GraphmemStore`, so LangGraph (and LangMem) agents
keep their memory in graphmem's graph, unchanged.

``GraphmemStore(memory, user_id="alice")`` binds the store to one graphmem scope chosen by the
application: every item it holds is an episode of that scope (see
`graphmem.integrations.langgraph_items` for the mapping), so `Memory.delete_all` of the scope
erases them, and no other scope is ever read or written. Its operations, as LangGraph's own
`InMemoryStore` does them:

* `GetOp`: the item at (namespace, key), exactly, or None.
* `PutOp`: stores the value as a new episode, then forgets the episode it replaces
  (`Memory.forget_episode`: the facts only the old value taught are retracted, kept in their
  history), keeping the item's `created_at`; a value of None deletes the item. Puts in one
  batch to one address: the last wins. The new episodes of a batch are written by one
  `Memory.add_many` (one transaction). A put is indexed (`index`, else the store's `fields`,
  else every string in the value, is the episode's text) and, with `infer=True` (the
  default), the configured extractor (offline by default: no LLM) turns that text into facts
  of the scope's graph, as `Memory.add` does; ``index=False`` stores the value unsearched.
* `SearchOp`: the items under the namespace prefix whose value passes `filter` (LangGraph's
  filter: equality as JSON, ``$eq, $ne, $gt, $gte, $lt, $lte``); with a `query`, ranked by
  graphmem's graph-first `Memory.search` (an item scores as its episode, or as the best fact
  it taught), the items search did not reach following with score None; without a query,
  newest first. Then `offset` and `limit`.
* `ListNamespacesOp`: the namespaces of the items, filtered by prefix / suffix conditions
  (``*`` matches any label), cut to `max_depth`, sorted, then `offset` and `limit`.

Reads see the store as it was before the batch's puts. TTLs are not supported.

`batch` runs on a `Memory`; `abatch` on an `AsyncMemory` natively (its driver's asyncio API),
or on a `Memory` in a worker thread. Both run the one batch body below: a generator of memory
calls (`graphmem.tools.run_calls` / `arun_calls`), so the two never differ.

>>> store = GraphmemStore(memory, user_id="alice")  # doctest: +SKIP
>>> store.put(("memories", "alice"), "home", {"content": "I live in Porto"})  # doctest: +SKIP
>>> store.search(("memories",), query="Where do I live?")[0].key  # doctest: +SKIP
'home'
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

from . import missing_extra

try:
    from langgraph.store.base import (
        BaseStore,
        GetOp,
        Item,
        ListNamespacesOp,
        Op,
        PutOp,
        Result,
        SearchItem,
        SearchOp,
        get_text_at_path,
        validate_op_namespace,
    )
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise missing_extra(__name__, "LangGraph", "langgraph") from exc

from ..batch import MAX_ITEMS
from ..errors import NotFoundError, ValidationError
from ..memory import AsyncMemory
from ..messages import MAX_CONTENT
from ..scope import Scope
from ..search.operations import MAX_LIMIT
from ..times import now_iso
from ..tools import Calls, arun_calls, ask, run_calls
from .langgraph_items import (
    StoredItem,
    address_prefix,
    item_metadata,
    namespace_matches,
    read_items,
    string_leaves,
    value_matches,
)

# A query search asks graphmem for (offset + limit) x this many results: several results
# (an episode, the facts it taught) may name one item, and some are other episodes.
SEARCH_POOL = 3

Address = tuple[str, ...]


class GraphmemStore(BaseStore):
    """LangGraph's store over a graphmem `Memory` or `AsyncMemory`, in one scope.

    `fields`: the value paths an item is indexed by when its put names none (LangGraph's
    path syntax, e.g. ``["content", "tags[*]"]``; None: every string in the value). `infer`:
    whether an indexed put also extracts facts into the scope's graph. `speaker`: who "I" is
    in the items' text (default: the user id, as in `Memory.add`).
    """

    supports_ttl = False

    def __init__(
        self,
        memory: Any,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        fields: list[str] | None = None,
        infer: bool = True,
        speaker: str | None = None,
    ) -> None:
        self.memory = memory
        self.scope = Scope.of(user_id, agent_id, run_id)
        self.fields = fields
        self.infer = infer
        self.speaker = speaker

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run the operations in order (reads see the store before the batch's puts)."""
        if isinstance(self.memory, AsyncMemory):
            raise ValidationError(
                "GraphmemStore over an AsyncMemory runs the async API only (abatch, aget, "
                "asearch, aput, ..., a graph's ainvoke); give it a Memory for the blocking one"
            )
        return run_calls(self.memory, self._batch(list(ops)))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """`batch`, awaited: natively on an `AsyncMemory`, in a thread on a `Memory`."""
        todo = list(ops)
        if isinstance(self.memory, AsyncMemory):
            return await arun_calls(self.memory, self._batch(todo))
        return await asyncio.to_thread(self.batch, todo)

    # -- the batch body ------------------------------------------------------------------------

    def _batch(self, ops: list[Op]) -> Calls[list[Result]]:
        for op in ops:
            if not isinstance(op, GetOp | PutOp | SearchOp | ListNamespacesOp):
                raise ValidationError(f"GraphmemStore: unknown operation {type(op).__name__}")
            validate_op_namespace(op)
            if isinstance(op, PutOp) and op.ttl is not None:
                raise ValidationError("GraphmemStore does not expire items: put with ttl=None")
        if not ops:
            return []
        found: list[StoredItem] = yield ask("run", read_items(self.scope, _prefixes(ops)))
        current: dict[Address, StoredItem] = {}
        for item in found:  # newest first: the first episode of an address is its item
            current.setdefault(item.address, item)
        results: list[Result] = []
        puts: dict[Address, PutOp] = {}
        for op in ops:
            if isinstance(op, GetOp):
                stored = current.get(_address(op))
                results.append(None if stored is None else _item(stored))
            elif isinstance(op, SearchOp):
                results.append((yield from self._search(op, list(current.values()))))
            elif isinstance(op, ListNamespacesOp):
                results.append(_namespaces(op, current.values()))
            else:
                puts[_address(op)] = op
                results.append(None)
        if puts:
            yield from self._put(puts, current, found)
        return results

    def _search(self, op: SearchOp, items: list[StoredItem]) -> Calls[list[SearchItem]]:
        prefix = tuple(op.namespace_prefix)
        chosen = [
            item
            for item in items
            if item.namespace[: len(prefix)] == prefix and value_matches(op.filter, item.value)
        ]
        scores: dict[Address, float] = {}
        if op.query and op.query.strip() and chosen:
            pool = min(MAX_LIMIT, max(1, op.offset + op.limit) * SEARCH_POOL)
            hits = yield ask("search", op.query, **self.scope.ids(), limit=pool)
            by_episode = {item.episode_id: item for item in chosen if item.indexed}
            for hit in hits["results"]:  # best first: an item's first hit is its score
                for source in hit.get("sources") or []:
                    if source["id"] in by_episode:
                        scores.setdefault(by_episode[source["id"]].address, float(hit["score"]))
        ranked = sorted(chosen, key=lambda i: -scores.get(i.address, -1.0))  # stable: newest first
        return [
            SearchItem(
                namespace=item.namespace,
                key=item.key,
                value=item.value,
                created_at=item.created_at,
                updated_at=item.updated_at,
                score=scores.get(item.address),
            )
            for item in ranked[op.offset : op.offset + op.limit]
        ]

    def _put(
        self,
        puts: dict[Address, PutOp],
        current: dict[Address, StoredItem],
        found: list[StoredItem],
    ) -> Calls[None]:
        """Write the new values (one add_many per MAX_ITEMS), then forget what they replace."""
        now = now_iso()
        adds = []
        for address, op in puts.items():
            if op.value is None:
                continue
            value = dict(op.value)
            text = self._text(value, op.index)
            before = current.get(address)
            created = before.created_at.isoformat() if before else now
            label = f"LangGraph store item {'/'.join(op.namespace)}: {op.key}"[:MAX_CONTENT]
            adds.append(
                {
                    "messages": {"role": "user", "content": text or label, "name": self.speaker},
                    **self.scope.ids(),
                    "metadata": item_metadata(
                        op.namespace, str(op.key), value, created_at=created, indexed=bool(text)
                    ),
                    "infer": self.infer and bool(text),
                }
            )
        for start in range(0, len(adds), MAX_ITEMS):
            yield ask("add_many", adds[start : start + MAX_ITEMS])
        for item in found:
            if item.address in puts:
                with contextlib.suppress(NotFoundError):  # forgotten by a concurrent put
                    yield ask("forget_episode", item.episode_id, **self.scope.ids())

    def _text(self, value: dict[str, Any], index: Any) -> str:
        """The text an item is searched by ('' when it is not indexed)."""
        if index is False:
            return ""
        fields = self.fields if index is None else index
        if fields is None:
            texts = string_leaves(value)
        else:
            texts = [t for field in fields for t in get_text_at_path(value, field)]
        return "\n".join(t.strip() for t in texts if t.strip())[:MAX_CONTENT]


def _prefixes(ops: list[Op]) -> list[str]:
    """The metadata prefixes of every item the batch reads or replaces."""
    out = set()
    for op in ops:
        if isinstance(op, GetOp | PutOp):
            out.add(address_prefix(_address(op), exact=True))
        elif isinstance(op, SearchOp):
            out.add(address_prefix(tuple(op.namespace_prefix), exact=False))
        else:
            out.add(address_prefix((), exact=False))
    return sorted(out)


def _address(op: GetOp | PutOp) -> Address:
    return (*op.namespace, str(op.key))


def _item(stored: StoredItem) -> Item:
    return Item(
        value=stored.value,
        key=stored.key,
        namespace=stored.namespace,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )


def _namespaces(op: ListNamespacesOp, items: Iterable[StoredItem]) -> list[tuple[str, ...]]:
    conditions = [(c.match_type, tuple(c.path)) for c in op.match_conditions or ()]
    found = {item.namespace for item in items if namespace_matches(conditions, item.namespace)}
    if op.max_depth is not None:
        found = {ns[: op.max_depth] for ns in found}
    return sorted(found)[op.offset : op.offset + op.limit]

"""`Memory` and `AsyncMemory`: the public API (mem0-compatible where the concepts match).

Both expose the same operations, each written once in `writes`, `reads`, `search`, ... as an
effect generator (see `graphmem.effects`): `Memory` runs it with the blocking driver,
`AsyncMemory` with the asyncio one (`graphmem.store.drivers`).

>>> with Memory() as m:  # doctest: +SKIP
...     m.add("I work at Acme", user_id="ida")
...     m.get_all(user_id="ida")["results"][0]["memory"]
'Ida works at Acme'
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from . import batch, forget, merge, reads, transfer, writes
from . import feedback as _feedback
from . import ingest as _ingest
from . import reprocess as _reprocess
from . import search as retrieval
from .config import MemoryConfig
from .context import Context
from .effects import Steps
from .embeddings import make_embedder
from .extraction import Extractor
from .ontology import load_ontology
from .search import searcher
from .store.async_store import AsyncGraphStore
from .store.drivers import run_async, run_sync
from .store.embedded import Spawn
from .store.graph_store import GraphStore
from .webhooks import registry as webhooks

P = ParamSpec("P")
T = TypeVar("T")
Op = Callable[Concatenate[Context, P], Steps[T]]


class _Base:
    """Configuration, ontology, embedder and the store connection, shared by both APIs."""

    def __init__(self, config: MemoryConfig | dict[str, Any] | None = None) -> None:
        if config is None:
            config = MemoryConfig.from_env()
        elif isinstance(config, dict):
            config = MemoryConfig.from_dict(config)
        self.config = config
        self.ontology = load_ontology(config.ontology)
        self.embedder = make_embedder(config.embedder)
        self.store = GraphStore(
            config.store, self.embedder.dimensions, self.embedder.name, spawn=_spawner(config)
        )
        try:
            self.store.prepare_relation_types(r.name for r in self.ontology.relation_types)
        except BaseException:
            self.store.close()
            raise
        self._ctx = Context(
            config,
            self.ontology,
            self.embedder,
            self.store.dialect,
            entity_search=searcher(self.store),
        )

    @property
    def context(self) -> Context:
        """What every operation is given: configuration, ontology, embedder, extractor."""
        return self._ctx

    @property
    def extractor(self) -> Extractor:
        """The configured extractor, built on first use (spaCy or the LLM client)."""
        return self._ctx.extractor

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """mem0-style constructor from a config dict."""
        return cls(MemoryConfig.from_dict(config))

    @classmethod
    def from_config_file(cls, path: str | Path) -> Any:
        """Build from a YAML or JSON config file."""
        return cls(MemoryConfig.from_file(path))


def _spawner(config: MemoryConfig) -> Spawn | None:
    """How an embedded home with no owner gets one: None starts it in this process."""
    if config.store.uri or config.store.start == "in-process":
        return None
    if config.store.start == "process":
        from .store.owner import spawn_engine

        return functools.partial(spawn_engine, heap=config.store.heap)
    from .server.spawn import spawn_serve

    return functools.partial(spawn_serve, config)


def _sync(op: Op[P, T]) -> Callable[Concatenate[Memory, P], T]:
    @functools.wraps(op)
    def method(self: Memory, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.run(op(self._ctx, *args, **kwargs))

    return method


def _async(op: Op[P, T]) -> Callable[Concatenate[AsyncMemory, P], Coroutine[Any, Any, T]]:
    @functools.wraps(op)
    async def method(self: AsyncMemory, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.run(op(self._ctx, *args, **kwargs))

    return method


class Memory(_Base):
    """A graph memory over Neo4j or the embedded store. Use as a context manager or `close()`."""

    add = _sync(writes.add)
    add_many = _sync(batch.add_many)
    add_relation = _sync(writes.add_relation)
    update = _sync(writes.update)
    batch_update = _sync(writes.batch_update)
    delete = _sync(writes.delete)
    batch_delete = _sync(writes.batch_delete)
    delete_all = _sync(writes.delete_all)
    reset = _sync(writes.reset)
    get = _sync(reads.get)
    get_all = _sync(reads.get_all)
    history = _sync(reads.history)
    changes = _sync(reads.changes)
    forget_episode = _sync(forget.forget_episode)
    forget_document = _sync(forget.forget_document)
    feedback = _sync(_feedback.feedback)
    merge_entities = _sync(merge.merge_entities)
    search = _sync(retrieval.search)
    neighbors = _sync(retrieval.neighbors)
    query = _sync(retrieval.query)
    ingest = _sync(_ingest.ingest)
    reprocess = _sync(_reprocess.reprocess)
    export = _sync(transfer.export)
    import_ = _sync(transfer.import_)
    create_webhook = _sync(webhooks.create_webhook)
    get_webhooks = _sync(webhooks.get_webhooks)
    get_webhook = _sync(webhooks.get_webhook)
    update_webhook = _sync(webhooks.update_webhook)
    delete_webhook = _sync(webhooks.delete_webhook)

    def run(self, steps: Steps[T]) -> T:
        """Run an operation's steps (e.g. ``writes.add(m.context, ...)``) on this store."""
        return run_sync(steps, self.store)

    def close(self) -> None:
        """Close the connection; the embedded server stops when its last user closes."""
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncMemory(_Base):
    """`Memory` for asyncio: the same methods, awaited, over the driver's async API. Safe to
    share across tasks; use `async with` or `await close()`."""

    def __init__(self, config: MemoryConfig | dict[str, Any] | None = None) -> None:
        super().__init__(config)
        self.astore = AsyncGraphStore(self.store)

    add = _async(writes.add)
    add_many = _async(batch.add_many)
    add_relation = _async(writes.add_relation)
    update = _async(writes.update)
    batch_update = _async(writes.batch_update)
    delete = _async(writes.delete)
    batch_delete = _async(writes.batch_delete)
    delete_all = _async(writes.delete_all)
    reset = _async(writes.reset)
    get = _async(reads.get)
    get_all = _async(reads.get_all)
    history = _async(reads.history)
    changes = _async(reads.changes)
    forget_episode = _async(forget.forget_episode)
    forget_document = _async(forget.forget_document)
    feedback = _async(_feedback.feedback)
    merge_entities = _async(merge.merge_entities)
    search = _async(retrieval.search)
    neighbors = _async(retrieval.neighbors)
    query = _async(retrieval.query)
    ingest = _async(_ingest.ingest)
    reprocess = _async(_reprocess.reprocess)
    export = _async(transfer.export)
    import_ = _async(transfer.import_)
    create_webhook = _async(webhooks.create_webhook)
    get_webhooks = _async(webhooks.get_webhooks)
    get_webhook = _async(webhooks.get_webhook)
    update_webhook = _async(webhooks.update_webhook)
    delete_webhook = _async(webhooks.delete_webhook)

    async def run(self, steps: Steps[T]) -> T:
        """Run an operation's steps on this store (see `Memory.run`)."""
        return await run_async(steps, self.astore)

    async def close(self) -> None:
        """Close both connections; the embedded server stops when its last user closes."""
        await self.astore.close()

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

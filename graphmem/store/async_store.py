"""The asyncio twin of `GraphStore`: same named statements, retries and write serialization,
over the driver's async API. It shares a `GraphStore`'s connection (and embedded server), which
has already created the schema."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import neo4j
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from ..effects import Query, Rows, TxSteps
from ..errors import StoreError
from . import dialect as dialects
from .drivers import adrive
from .graph_store import GraphStore, retry_delay
from .home import WriteLock
from .queries import row

T = TypeVar("T")


class AsyncGraphStore:
    """Async reads and retried write transactions over the connection of `store`."""

    def __init__(self, store: GraphStore) -> None:
        self.sync = store
        self._driver: neo4j.AsyncDriver | None = None
        self._generation = 0
        self._connect()
        self._lock = asyncio.Lock() if store.write_lock is not None else None

    def _connect(self) -> None:
        """An async driver to where the `GraphStore` is connected now."""
        options: dict[str, Any] = (
            {"max_transaction_retry_time": 1.0} if self.sync.can_take_over else {}
        )
        self._driver = neo4j.AsyncGraphDatabase.driver(
            self.sync.uri, auth=self.sync.auth, **options
        )
        self._generation = self.sync.generation

    async def _take_over(self) -> None:
        """Follow the `GraphStore` to the embedded owner's successor (see its `take_over`)."""
        await asyncio.to_thread(self.sync.take_over, self._generation)
        if self._generation != self.sync.generation:
            old = self._driver
            self._connect()
            if old is not None:
                await old.close()

    @property
    def driver(self) -> neo4j.AsyncDriver:
        """The Neo4j driver's asyncio API this store runs every statement on."""
        if self._driver is None:
            raise StoreError("this AsyncMemory is closed; open a new one")
        return self._driver

    async def read(self, q: Query) -> Rows:
        """Run one named read statement as an auto-commit query (see `GraphStore.read`)."""
        return await self._with_retry(lambda s: self._run(s, q), write=False)

    async def read_all(self, queries: Sequence[Query]) -> list[Rows]:
        """Independent named reads at once (see `GraphStore.read_all`), in the given order."""
        return list(await asyncio.gather(*(self.read(q) for q in queries)))

    async def read_raw(self, text: str, params: dict[str, Any]) -> Rows:
        """Run caller-supplied Cypher in a read transaction (see `GraphStore.read_raw`)."""

        async def work(tx: neo4j.AsyncManagedTransaction) -> Rows:
            result = await tx.run(text, params)
            return [record.data() async for record in result]

        return await self._with_retry(lambda s: s.execute_read(work), write=False)

    async def write(self, work: Callable[[], TxSteps[T]]) -> T:
        """Run a transaction function's steps in one write transaction, retried as a whole;
        relationship types it used first are prepared after it (`GraphStore.write`)."""
        written: set[str] = set()

        def answer(tx: neo4j.AsyncManagedTransaction, q: Query) -> Awaitable[Rows]:
            if q.rel_type is not None:
                written.add(q.rel_type)
            return self._run(tx, q)

        async def tx_work(tx: neo4j.AsyncManagedTransaction) -> T:
            return await adrive(work(), lambda q: answer(tx, q))

        result: T = await self._with_retry(lambda s: s.execute_write(tx_work), write=True)
        new = self.sync.unprepared(written)
        if new:
            await asyncio.to_thread(self.sync.prepare_written_types, new)
        return result

    async def _with_retry(self, call: Callable[[neo4j.AsyncSession], Any], *, write: bool) -> Any:
        """Retries and takeover as `GraphStore._with_retry`, awaited."""
        attempts = self.sync.config.write_retries + 1
        attempt, deadline = 0, time.monotonic() + self.sync.config.takeover_timeout
        while True:
            guard: AbstractAsyncContextManager[Any] = (
                _WriteGuard(self._lock, self.sync.write_lock)
                if (write and self._lock and self.sync.write_lock)
                else _NoLock()
            )
            try:
                async with guard, self._session(write=write) as session:
                    return await call(session)
            except (ServiceUnavailable, SessionExpired, Neo4jError) as exc:
                if time.monotonic() < deadline and self.sync.owner_lost(exc):
                    await self._take_over()
                    continue
                if not isinstance(exc, Neo4jError):
                    raise StoreError(
                        f"the graph store at {self.sync.uri} does not answer: {exc}"
                    ) from exc
                attempt += 1
                if attempt < attempts and dialects.is_retryable(exc):
                    await asyncio.sleep(retry_delay(attempt - 1))
                    continue
                raise StoreError(f"graph store error: {exc}") from exc

    async def _run(self, tx: neo4j.AsyncManagedTransaction | neo4j.AsyncSession, q: Query) -> Rows:
        result = await tx.run(self.sync.statement_text(q), q.params)
        return [row(record) async for record in result]

    def _session(self, *, write: bool = True) -> neo4j.AsyncSession:
        if self._driver is None:
            raise StoreError("this AsyncMemory is closed; open a new one")
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(database=self.sync.database, default_access_mode=mode)

    async def close(self) -> None:
        """Close the async driver, then the shared `GraphStore`."""
        if self._driver is not None:
            await self._driver.close()
            self._driver = None
        self.sync.close()


class _WriteGuard:
    """The store's `WriteLock` (shared with the blocking API and other processes), taken
    without blocking the event loop; the asyncio lock keeps this loop's tasks in line."""

    def __init__(self, lock: asyncio.Lock, shared: WriteLock) -> None:
        self._lock, self._shared = lock, shared

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        try:
            await asyncio.to_thread(self._shared.__enter__)
        except BaseException:
            self._lock.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._shared.__exit__()
        self._lock.release()


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None

"""The asyncio twin of `GraphStore`: same named statements, retries and write serialization,
over the driver's async API. It shares a `GraphStore`'s connection (and embedded server), which
has already created the schema."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import neo4j
from neo4j.exceptions import Neo4jError

from ..effects import Query, Rows, TxSteps
from ..errors import StoreError
from . import dialect as dialects
from .drivers import adrive
from .graph_store import GraphStore, retry_delay
from .queries import row

T = TypeVar("T")


class AsyncGraphStore:
    """Async reads and retried write transactions over the connection of `store`."""

    def __init__(self, store: GraphStore) -> None:
        self.sync = store
        self._driver: neo4j.AsyncDriver | None = neo4j.AsyncGraphDatabase.driver(
            store.uri, auth=store.auth
        )
        self._lock = asyncio.Lock() if store.serialize_writes else None

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
        """Run a transaction function's steps in one write transaction, retried as a whole."""

        async def tx_work(tx: neo4j.AsyncManagedTransaction) -> T:
            return await adrive(work(), lambda q: self._run(tx, q))

        return await self._with_retry(lambda s: s.execute_write(tx_work), write=True)

    async def _with_retry(self, call: Callable[[neo4j.AsyncSession], Any], *, write: bool) -> Any:
        attempts = self.sync.config.write_retries + 1
        for attempt in range(attempts):
            guard: AbstractAsyncContextManager[Any] = (
                self._lock if (write and self._lock) else _NoLock()
            )
            try:
                async with guard, self._session(write=write) as session:
                    return await call(session)
            except Neo4jError as exc:
                if attempt + 1 < attempts and dialects.is_retryable(exc):
                    await asyncio.sleep(retry_delay(attempt))
                    continue
                raise StoreError(f"graph store error: {exc}") from exc
        raise AssertionError("unreachable")

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


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None

"""The asyncio twin of `GraphStore`: same named statements, retries and write serialization,
over the driver's async API. It shares a `GraphStore`'s connection (and embedded server), which
has already created the schema."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import neo4j
from neo4j.exceptions import Neo4jError

from ..effects import Query, Rows, TxSteps, resume
from ..errors import StoreError
from . import dialect as dialects
from .graph_store import GraphStore, retry_delay
from .queries import prepare, row

T = TypeVar("T")


class AsyncGraphStore:
    """Async reads and retried write transactions over the connection of `store`."""

    def __init__(self, store: GraphStore) -> None:
        self.sync = store
        self._driver: neo4j.AsyncDriver | None = neo4j.AsyncGraphDatabase.driver(
            store.uri, auth=store.auth
        )
        self._lock = asyncio.Lock() if store.serialize_writes else None

    async def read(self, q: Query) -> Rows:
        """Run one named read statement as an auto-commit query (see `GraphStore.read`)."""
        return await self._with_retry(lambda s: _run(s, q, self.sync.dialect), write=False)

    async def read_raw(self, text: str, params: dict[str, Any]) -> Rows:
        """Run caller-supplied Cypher in a read transaction (see `GraphStore.read_raw`)."""

        async def work(tx: neo4j.AsyncManagedTransaction) -> Rows:
            result = await tx.run(text, params)
            return [record.data() async for record in result]

        return await self._with_retry(lambda s: s.execute_read(work), write=False)

    async def write(self, work: Callable[[], TxSteps[T]]) -> T:
        """Run a transaction function's steps in one write transaction, retried as a whole."""

        async def tx_work(tx: neo4j.AsyncManagedTransaction) -> T:
            steps = work()
            rows: Rows | None = None
            while True:
                done, q = resume(steps, rows)
                if done:
                    return q  # type: ignore[no-any-return]
                rows = await _run(tx, q, self.sync.dialect)

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


async def _run(
    tx: neo4j.AsyncManagedTransaction | neo4j.AsyncSession, q: Query, dialect: dialects.Dialect
) -> Rows:
    text = prepare(q.name, q.params, rel_type=q.rel_type, label=q.label)
    if not dialect.runs(q.name):
        return []
    result = await tx.run(text, q.params)
    return [row(record) async for record in result]

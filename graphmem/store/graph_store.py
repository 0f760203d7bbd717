"""The graph store: one Bolt driver, named Cypher statements, transactional retried writes.

The same code path serves Neo4j and the embedded ArcadeDB; what differs lives in `dialect`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar

import neo4j
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

from ..config import StoreConfig, default_home
from ..effects import Query, Rows, TxSteps, run
from ..errors import ConfigError, StoreError
from . import dialect as dialects
from .drivers import drive
from .embedded import EmbeddedServer
from .queries import load, prepare, row

T = TypeVar("T")
# Threads for `read_all` (a search issues at most five reads at once).
READ_THREADS = 5


def retry_delay(attempt: int) -> float:
    """Seconds to wait before retry number `attempt + 1`: capped exponential, jittered."""
    return min(0.05 * 2**attempt, 1.0) * (0.5 + random.random())


class GraphStore:
    """Owns the driver (and, in embedded mode, a share of the in-process server)."""

    def __init__(self, config: StoreConfig, dimensions: int, embedder: str) -> None:
        self.config = config
        self.dimensions = dimensions
        self.embedder = embedder
        self._server: EmbeddedServer | None = None
        if config.uri:
            password = config.password.get_secret_value() if config.password else ""
            uri, auth = config.uri, (config.user, password)
            self.dialect = dialects.NEO4J
            self.database = config.database
        else:
            home = Path(config.home) if config.home else default_home()
            self._server = EmbeddedServer.acquire(home, config.heap)
            endpoint = self._server.endpoint
            uri, auth = endpoint.bolt_uri, (endpoint.user, endpoint.password)
            self.dialect = dialects.ARCADEDB
            self.database = "graphmem"
        self.uri, self.auth = uri, auth
        # Embedded ArcadeDB can fail concurrent writers with EntityNotFound: serialize them.
        self.serialize_writes = self._server is not None
        self._write_lock = threading.Lock() if self.serialize_writes else None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        try:
            self._driver: neo4j.Driver | None = neo4j.GraphDatabase.driver(uri, auth=auth)
            self._driver.verify_connectivity()
        except (ServiceUnavailable, AuthError) as exc:
            self.close()
            raise StoreError(f"cannot connect to the graph store at {uri}: {exc}") from exc
        self._ensure_schema()

    # -- reads and writes ---------------------------------------------------------------------

    def read(self, q: Query) -> Rows:
        """Run a named read statement and return its records as dicts.

        Named reads are graphmem's own read-only statements, so each runs as one auto-commit
        query in read mode: one round trip, where a managed read transaction adds BEGIN and
        COMMIT.
        """
        text = self.statement_text(q)

        def work(session: neo4j.Session) -> Rows:
            return [row(record) for record in session.run(text, q.params)]

        return self._with_retry(work, write=False)

    def read_all(self, queries: Sequence[Query]) -> list[Rows]:
        """Independent named reads at once, each on its own connection from a small thread
        pool, so the server overlaps them (a search's entry points; on a remote Neo4j the
        round trips overlap too). Answers come in the order of `queries`."""
        if len(queries) < 2:
            return [self.read(q) for q in queries]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="graphmem-read")
            pool = self._pool
        return [f.result() for f in [pool.submit(self.read, q) for q in queries]]

    def read_raw(self, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run caller-supplied Cypher in a read transaction (the `query()` passthrough, which
        checks it with `graphmem.search.readonly` first)."""

        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(text, params)]

        return self._with_retry(lambda session: session.execute_read(work), write=False)

    def write(self, work: Callable[[], TxSteps[T]]) -> T:
        """Run the statements `work()` yields in one write transaction; retried as a whole on
        transient errors (so `work` is called anew and must not keep state between attempts)."""

        def tx_work(tx: neo4j.ManagedTransaction) -> T:
            def answer(q: Query) -> Rows:
                text = self.statement_text(q)
                return [row(record) for record in tx.run(text, q.params)]

            return drive(work(), answer)

        return self._with_retry(lambda session: session.execute_write(tx_work), write=True)

    def statement_text(self, q: Query) -> str:
        """The checked text of a step's statement, in this engine's variant."""
        return prepare(
            q.name, q.params, rel_type=q.rel_type, label=q.label, engine=self.dialect.name
        )

    def _with_retry(self, call: Callable[[neo4j.Session], T], *, write: bool) -> T:
        attempts = self.config.write_retries + 1
        guard = self._write_lock if (write and self._write_lock) else nullcontext()
        for attempt in range(attempts):
            try:
                with guard, self._session(write=write) as session:
                    return call(session)
            except Neo4jError as exc:
                if attempt + 1 < attempts and dialects.is_retryable(exc):
                    time.sleep(retry_delay(attempt))
                    continue
                raise StoreError(f"graph store error: {exc}") from exc
        raise AssertionError("unreachable")

    # -- schema and engine work -------------------------------------------------------------

    def _ensure_schema(self) -> None:
        """Check the store's embedding size, then let the dialect create what is missing."""

        def meta() -> TxSteps[Rows]:
            return (
                yield from run(
                    "schema/meta_dimensions", dimensions=self.dimensions, embedder=self.embedder
                )
            )

        found = self.write(meta)[0]
        if found["dimensions"] != self.dimensions:
            self.close()
            raise ConfigError(
                f"this store's vector indexes hold {found['dimensions']}-dimensional embeddings "
                f"({found['embedder']}), but the configured embedder makes {self.dimensions}; "
                "use the same embedder, or a new store (GRAPHMEM_HOME / database)"
            )
        self.dialect.ensure_schema(self, self.dimensions)

    def prepare_relation_types(self, names: Iterable[str]) -> None:
        """Declare what the engine needs per relation type (see `Dialect`). Idempotent."""
        self.dialect.prepare_relation_types(self, names)

    def settle_indexes(self) -> None:
        """Bring the vector indexes up to date with every write so far. The engine does this
        by itself as writes pause; benchmarks call it after a bulk load so that timings see
        the index a store that grew one `add` at a time would have."""
        self.dialect.settle_indexes(self)

    def sql(self, command: str, *, language: str = "sql") -> list[dict[str, Any]]:
        """Run a command in the embedded ArcadeDB's SQL (schema work, index maintenance);
        `StoreError` on a Neo4j store, which has no such API."""
        if self._server is None:
            raise StoreError("SQL commands run on the embedded store only; this is Neo4j")
        return self._server.endpoint.sql(command, language=language)

    def run_schema(self, name: str, **params: Any) -> None:
        """Run a `cypher/schema/` statement outside a transaction (schema commands)."""
        statement = load(name, self.dialect.name)
        statement.check_params(params)
        with self._session() as session:
            session.run(statement.render(), params).consume()

    def _session(self, *, write: bool = True) -> neo4j.Session:
        if self._driver is None:
            raise StoreError("this Memory is closed; open a new one")
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    def close(self) -> None:
        """Close the driver and release the embedded server (stopped with its last user)."""
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True)
            self._pool = None
        driver = getattr(self, "_driver", None)
        if driver is not None:
            driver.close()
            self._driver = None
        if self._server is not None:
            self._server.release()
            self._server = None

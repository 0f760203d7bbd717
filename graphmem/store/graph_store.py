"""The graph store: one Bolt driver, named Cypher statements, transactional retried writes.

The same code path serves Neo4j and the embedded ArcadeDB; what differs lives in `dialect`.
"""

from __future__ import annotations

import logging
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
from ..effects import Query
from ..errors import ConfigError, StoreError
from . import dialect as dialects
from .embedded import EmbeddedServer
from .queries import load, prepare, row

log = logging.getLogger(__name__)
T = TypeVar("T")
# Threads for `read_all` (a search issues at most five reads at once).
READ_THREADS = 5
# Entities mirrored per transaction when an older store is brought in step.
_SYNC_BATCH = 5000


def retry_delay(attempt: int) -> float:
    """Seconds to wait before retry number `attempt + 1`: capped exponential, jittered."""
    return min(0.05 * 2**attempt, 1.0) * (0.5 + random.random())


class Tx:
    """A write transaction that runs named statements only (the ones this engine runs)."""

    def __init__(self, tx: neo4j.ManagedTransaction, dialect: dialects.Dialect) -> None:
        self._tx = tx
        self._dialect = dialect

    def run(
        self,
        query_name: str,
        /,
        *,
        rel_type: str | None = None,
        label: str | None = None,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """Run `cypher/<query_name>.cypher`; `rel_type`/`label` fill its checked placeholders."""
        text = prepare(query_name, params, rel_type=rel_type, label=label)
        if not self._dialect.runs(query_name):
            return []
        return [row(record) for record in self._tx.run(text, params)]


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

    def read(
        self,
        query_name: str,
        /,
        *,
        rel_type: str | None = None,
        label: str | None = None,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """Run a named read statement and return its records as dicts.

        Named reads are graphmem's own read-only statements, so each runs as one auto-commit
        query in read mode: one round trip, where a managed read transaction adds BEGIN and
        COMMIT (measured on the embedded store: 0.7 ms instead of 1.9 ms per statement).
        """
        text = prepare(query_name, params, rel_type=rel_type, label=label)
        if not self.dialect.runs(query_name):
            return []

        def work(session: neo4j.Session) -> list[dict[str, Any]]:
            return [row(record) for record in session.run(text, params)]

        return self._with_retry(work, write=False)

    def read_all(self, queries: Sequence[Query]) -> list[list[dict[str, Any]]]:
        """Independent named reads at once, each on its own connection from a small thread
        pool, so the server overlaps them (measured on the embedded store: a search's five
        entry-point statements took ~23 ms instead of ~29 ms on 2 cores; on a remote Neo4j
        the round trips overlap too). Answers come in the order of `queries`."""

        def one(q: Query) -> list[dict[str, Any]]:
            return self.read(q.name, rel_type=q.rel_type, label=q.label, **q.params)

        if len(queries) < 2:
            return [one(q) for q in queries]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="graphmem-read")
            pool = self._pool
        return [f.result() for f in [pool.submit(one, q) for q in queries]]

    def read_raw(self, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run caller-supplied Cypher in a read transaction (the `query()` passthrough, which
        checks it with `graphmem.readonly` first)."""

        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(text, params)]

        return self._with_retry(lambda session: session.execute_read(work), write=False)

    def write(self, work: Callable[[Tx], T]) -> T:
        """Run `work` in one write transaction; retried as a whole on transient errors."""
        return self._with_retry(
            lambda session: session.execute_write(lambda tx: work(Tx(tx, self.dialect))), write=True
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

    # -- schema --------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        """Create constraints and indexes idempotently (safe on every start)."""
        meta = self.write(
            lambda tx: tx.run(
                "schema/meta_dimensions", dimensions=self.dimensions, embedder=self.embedder
            )
        )[0]
        if meta["dimensions"] != self.dimensions:
            self.close()
            raise ConfigError(
                f"this store's vector indexes hold {meta['dimensions']}-dimensional embeddings "
                f"({meta['embedder']}), but the configured embedder makes {self.dimensions}; "
                "use the same embedder, or a new store (GRAPHMEM_HOME / database)"
            )
        if self._server is not None:
            for command in dialects.arcadedb_prepare_types():
                self._server.endpoint.sql(command)
        for name in dialects.COMMON_SCHEMA:
            self._run_schema(name)
        if self._server is not None:
            for command in dialects.arcadedb_search_schema(self.dimensions):
                try:
                    self._server.endpoint.sql(command)
                except StoreError as exc:  # a store made with other index settings: keep it
                    if not dialects.is_existing_index_conflict(str(exc)):
                        raise
                    log.info("keeping this store's existing index: %s", exc)
            self._sync_entity_vectors()
        else:
            for name in dialects.NEO4J_SEARCH_SCHEMA:
                self._run_schema(name, dimensions=self.dimensions)

    def _sync_entity_vectors(self) -> None:
        """Bring ArcadeDB's EntityVector mirror (cypher/arcadedb/entity_vector_mirror.cypher)
        in step with the entities: once for a store made before the mirror, or after entities
        were deleted by hand. Two counts when nothing is missing."""
        counts = self.read("arcadedb/entity_vector_counts")[0]
        if counts["entities"] == counts["mirrored"]:
            return
        log.info("mirroring entity vectors: %s", counts)
        for name, key in (
            ("arcadedb/entity_vector_sync", "created"),
            ("arcadedb/entity_vector_orphans", "deleted"),
        ):

            def batch(tx: Tx, name: str = name) -> list[dict[str, Any]]:
                return tx.run(name, batch=_SYNC_BATCH)

            while self.write(batch)[0][key]:
                pass

    def prepare_relation_types(self, names: Iterable[str]) -> None:
        """Declare the relation types' fact embeddings as float arrays on the embedded store
        (see `dialect.arcadedb_relation_schema`); Neo4j needs nothing. Idempotent."""
        if self._server is None:
            return
        endpoint = self._server.endpoint
        script = dialects.arcadedb_relation_schema(
            endpoint.sql("SELECT name, properties FROM schema:types"), names
        )
        if script:
            endpoint.sql(script, language="sqlscript")

    def _run_schema(self, name: str, **params: Any) -> None:
        query = load(name)
        query.check_params(params)
        with self._session() as session:
            session.run(query.render(), params).consume()

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

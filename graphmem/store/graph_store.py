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
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import neo4j
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from ..config import StoreConfig, default_home
from ..effects import Query, Rows, TxSteps, run
from ..errors import ConfigError, StoreError
from . import dialect as dialects
from .drivers import drive
from .embedded import EmbeddedServer, Spawn
from .home import WriteLock, live_owner, schema_lock
from .queries import load, prepare, row

T = TypeVar("T")
log = logging.getLogger(__name__)
# Threads for `read_all` (a search issues at most five reads at once).
READ_THREADS = 5


def retry_delay(attempt: int) -> float:
    """Seconds to wait before retry number `attempt + 1`: capped exponential, jittered."""
    return min(0.05 * 2**attempt, 1.0) * (0.5 + random.random())


class GraphStore:
    """Owns the driver (and, in embedded mode, a share of the in-process server)."""

    def __init__(
        self,
        config: StoreConfig,
        dimensions: int,
        embedder: str,
        *,
        spawn: Spawn | None = None,
    ) -> None:
        self.config = config
        self.dimensions = dimensions
        self.embedder = embedder
        self._server: EmbeddedServer | None = None
        self._spawn = spawn
        self._home: Path | None = None
        if config.uri:
            self.dialect = dialects.NEO4J
            self.database = config.database
        else:
            self._home = (Path(config.home) if config.home else default_home()).expanduser()
            self._server = EmbeddedServer.acquire(
                self._home, config.heap, timeout=config.takeover_timeout, spawn=spawn
            )
            self.dialect = dialects.ARCADEDB
            self.database = "graphmem"
        # Embedded ArcadeDB can fail concurrent writers: serialize them, across processes.
        self.write_lock = WriteLock(self._home) if self._home is not None else None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._connection_lock = threading.Lock()
        self.generation = 0  # counts the connections made: a takeover makes a new one
        self._driver: neo4j.Driver | None = None
        # Relation types given what facts need (see `prepare_relation_types`) by this store.
        self._prepared: set[str] = set()
        self._prepared_lock = threading.Lock()
        try:
            self._connect()
            with self._schema_guard():
                self._ensure_schema()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> None:
        """Open the driver to the configured Neo4j, or to the embedded server's endpoint."""
        if self._server is None:
            password = self.config.password.get_secret_value() if self.config.password else ""
            uri, auth = str(self.config.uri), (self.config.user, password)
            options: dict[str, Any] = {}
        else:
            endpoint = self._server.endpoint
            uri, auth = endpoint.bolt_uri, (endpoint.user, endpoint.password)
            # A lost owner is taken over by `_with_retry`: the driver must not spend its
            # default 30 s retrying a server that is gone.
            options = {"max_transaction_retry_time": 1.0, "connection_timeout": 5.0}
        self.uri, self.auth = uri, auth
        driver = neo4j.GraphDatabase.driver(uri, auth=auth, **options)
        try:
            driver.verify_connectivity()
        except (ServiceUnavailable, AuthError) as exc:
            driver.close()  # only the driver: a takeover tries again with the same server
            raise StoreError(f"cannot connect to the graph store at {uri}: {exc}") from exc
        self._driver = driver
        self.generation += 1

    def take_over(self, seen: int) -> None:
        """The embedded owner stopped answering the connection of generation `seen`: connect
        to its successor (another process, or this one becoming the owner). A no-op when
        another thread already did it; StoreError when this store cannot take over (Neo4j,
        or an engine of this process's own that stopped)."""
        with self._connection_lock:
            if self.generation != seen:
                return
            deadline = time.monotonic() + self.config.takeover_timeout
            while True:
                if self._server is None or self._server.owned:
                    raise StoreError(f"the graph store at {self.uri} stopped answering")
                self._server = self._server.takeover(
                    self.config.heap, timeout=self.config.takeover_timeout, spawn=self._spawn
                )
                old, self._driver = self._driver, None
                if old is not None:
                    old.close()
                try:
                    self._connect()
                    return
                except StoreError:
                    # A successor that is itself exiting (its engine stopped, the process not
                    # yet gone) still holds the home: acquire again until it is gone.
                    if time.monotonic() >= deadline:
                        raise
                    time.sleep(0.2)

    @property
    def can_take_over(self) -> bool:
        """Whether a lost connection means a lost owner, to be taken over (embedded only)."""
        return self._server is not None and not self._server.owned

    def owner_lost(self, exc: Exception) -> bool:
        """Whether `exc` means that the embedded owner this store talks to went away: the
        connection failed, or the error came from an engine that no longer owns the home
        (a stopping engine refuses credentials, for one)."""
        if self._server is None or self._server.owned or self._home is None:
            return False
        if isinstance(exc, ServiceUnavailable | SessionExpired):
            return True
        owner = live_owner(self._home)
        return owner is None or owner.bolt_port != self._server.endpoint.bolt_port

    def _schema_guard(self) -> AbstractContextManager[None]:
        """Schema work of processes sharing one embedded home runs one at a time."""
        return schema_lock(self._home) if self._home is not None else nullcontext()

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
        transient errors (so `work` is called anew and must not keep state between attempts).
        A relationship type the transaction wrote for the first time is prepared after it
        (see `prepare_written_types`)."""
        written: set[str] = set()

        def tx_work(tx: neo4j.ManagedTransaction) -> T:
            def answer(q: Query) -> Rows:
                text = self.statement_text(q)
                if q.rel_type is not None:
                    written.add(q.rel_type)
                return [row(record) for record in tx.run(text, q.params)]

            return drive(work(), answer)

        result = self._with_retry(lambda session: session.execute_write(tx_work), write=True)
        self.prepare_written_types(written)
        return result

    def statement_text(self, q: Query) -> str:
        """The checked text of a step's statement, in this engine's variant."""
        return prepare(
            q.name, q.params, rel_type=q.rel_type, label=q.label, engine=self.dialect.name
        )

    def _with_retry(self, call: Callable[[neo4j.Session], T], *, write: bool) -> T:
        """Run `call` in a session; transient errors are retried, a lost embedded owner is
        taken over and the call run again (within `takeover_timeout`)."""
        attempts = self.config.write_retries + 1
        guard = self.write_lock if (write and self.write_lock) else nullcontext()
        attempt, deadline = 0, time.monotonic() + self.config.takeover_timeout
        while True:
            seen = self.generation
            try:
                with guard, self._session(write=write) as session:
                    return call(session)
            except (ServiceUnavailable, SessionExpired, Neo4jError) as exc:
                if time.monotonic() < deadline and self.owner_lost(exc):
                    self.take_over(seen)
                    continue
                if not isinstance(exc, Neo4jError):
                    raise StoreError(
                        f"the graph store at {self.uri} does not answer: {exc}"
                    ) from exc
                attempt += 1
                if attempt < attempts and dialects.is_retryable(exc):
                    time.sleep(retry_delay(attempt - 1))
                    continue
                raise StoreError(f"graph store error: {exc}") from exc

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
        self._prepare_unguarded(self.dialect.relation_types(self))  # the guard is held

    def prepare_relation_types(self, names: Iterable[str]) -> None:
        """Declare what the engine needs per relation type (see `Dialect`), among it the
        type's `memory_id` index. Done when a store opens for the ontology's types and the
        types the store already holds, then for each type a write uses first (custom types
        that passed the strict name check). Idempotent; each type once per store."""
        wanted = self.unprepared(names)
        if not wanted:
            return
        with self._schema_guard():
            self._prepare_unguarded(wanted)

    def _prepare_unguarded(self, names: Iterable[str]) -> None:
        """`prepare_relation_types` for a caller that holds the schema guard already (a
        second flock of the home's schema lock by this process would wait for ever)."""
        wanted = self.unprepared(names)
        if not wanted:
            return
        self.dialect.prepare_relation_types(self, wanted)
        with self._prepared_lock:
            self._prepared |= wanted

    def unprepared(self, names: Iterable[str]) -> set[str]:
        """Which of `names` this store has not prepared yet (a set lookup, no I/O)."""
        with self._prepared_lock:
            return set(names) - self._prepared

    def prepare_written_types(self, names: Iterable[str]) -> None:
        """After a committed write: prepare the relationship types it used that this store has
        not prepared yet. A failure is logged, not raised (the write has happened; without its
        index a type's versions are found by a scan of that type)."""
        new = self.unprepared(names)
        if not new:
            return
        try:
            self.prepare_relation_types(new)
        except (StoreError, Neo4jError, ValueError) as exc:
            log.warning("could not prepare relationship types %s: %s", sorted(new), exc)
            with self._prepared_lock:
                self._prepared |= new  # once: a store without schema rights stays quiet

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

    def run_schema(self, name: str, *, rel_type: str | None = None, **params: Any) -> None:
        """Run a `cypher/schema/` statement outside a transaction (schema commands); `rel_type`
        (checked) for a statement with the `__TYPE__` placeholder."""
        statement = load(name, self.dialect.name)
        statement.check_params(params)
        with self._session() as session:
            session.run(statement.render(rel_type=rel_type), params).consume()

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
        if self.write_lock is not None:
            self.write_lock.close()

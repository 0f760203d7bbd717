"""Operations written once, run by the blocking or the asyncio driver.

Every public operation of `Memory` / `AsyncMemory` is a generator that *yields* what it needs
(a read, a write transaction, a CPU-bound computation) and receives the answer, instead of
calling the store. `run_sync` answers with the blocking driver, `run_async` with the async one,
so the logic of an operation exists in one place (the "sans-I/O" style of h11 or hyper).

Inside a write transaction the generator yields `Query` steps only; the transaction function
is called anew on every retry, so it must not keep state between attempts.

>>> def count_entities() -> Steps[int]:
...     rows = yield from read("entity_count")
...     return int(rows[0]["count"])
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .store.async_store import AsyncGraphStore
    from .store.graph_store import GraphStore, Tx

T = TypeVar("T")
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Query:
    """One named statement of `cypher/` with its parameters (and checked type/label)."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    rel_type: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Read:
    """Run one statement in a read transaction."""

    query: Query


@dataclass(frozen=True)
class ReadAll:
    """Run independent statements, concurrently where the driver can (one answer each)."""

    queries: tuple[Query, ...]


@dataclass(frozen=True)
class RawRead:
    """Run caller-supplied Cypher (checked by `graphmem.readonly`) in a read transaction."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Write:
    """Run a transaction function (a generator of `Query` steps) in one write transaction."""

    work: Callable[[], Generator[Query, Rows, Any]]


@dataclass(frozen=True)
class Compute:
    """A CPU-bound call (extraction, embedding): run inline, or in a worker thread by asyncio."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


Step = Read | ReadAll | RawRead | Write | Compute
Steps = Generator[Step, Any, T]
TxSteps = Generator[Query, Rows, T]


def query(
    name: str, /, *, rel_type: str | None = None, label: str | None = None, **params: Any
) -> Query:
    """Build a `Query` the way `Tx.run` is called."""
    return Query(name, params, rel_type, label)


def run(
    name: str, /, *, rel_type: str | None = None, label: str | None = None, **params: Any
) -> TxSteps[Rows]:
    """Inside a transaction function: `rows = yield from run("entity_find", owner=...)`."""
    rows = yield query(name, rel_type=rel_type, label=label, **params)
    return rows


def read(
    name: str, /, *, rel_type: str | None = None, label: str | None = None, **params: Any
) -> Steps[Rows]:
    """Outside a transaction: `rows = yield from read("fact_list", ...)`."""
    rows = yield Read(query(name, rel_type=rel_type, label=label, **params))
    return rows  # type: ignore[no-any-return]


def read_query(q: Query) -> Steps[Rows]:
    """`read` for a `Query` built beforehand."""
    rows = yield Read(q)
    return rows  # type: ignore[no-any-return]


def read_all(*queries: Query) -> Steps[list[Rows]]:
    """Independent reads at once: `a, b = yield from read_all(query(...), query(...))`.
    Each runs on its own connection, so the server overlaps them (a search's entry points)."""
    rows = yield ReadAll(queries)
    return rows  # type: ignore[no-any-return]


def read_raw(text: str, params: dict[str, Any]) -> Steps[Rows]:
    """The `query()` passthrough only: `rows = yield from read_raw(checked_text, params)`."""
    rows = yield RawRead(text, params)
    return rows  # type: ignore[no-any-return]


def write(work: Callable[[], TxSteps[T]]) -> Steps[T]:
    """`result = yield from write(lambda: my_tx_steps(...))`: one retried write transaction."""
    result = yield Write(work)
    return result  # type: ignore[no-any-return]


def compute(fn: Callable[..., T], *args: Any) -> Steps[T]:
    """`value = yield from compute(embedder.embed, texts)`."""
    value = yield Compute(fn, args)
    return value  # type: ignore[no-any-return]


def run_sync(steps: Steps[T], store: GraphStore) -> T:
    """Drive an operation with the blocking driver."""
    value: Any = None
    error: Exception | None = None
    while True:
        done, step = resume(steps, value, error)
        if done:
            return step  # type: ignore[no-any-return]
        value, error = None, None
        try:
            if isinstance(step, Read):
                q = step.query
                value = store.read(q.name, rel_type=q.rel_type, label=q.label, **q.params)
            elif isinstance(step, ReadAll):
                value = store.read_all(step.queries)
            elif isinstance(step, RawRead):
                value = store.read_raw(step.text, step.params)
            elif isinstance(step, Write):
                value = store.write(partial(_tx_sync, step.work))
            else:
                value = step.fn(*step.args)
        except Exception as exc:  # handed to the operation, which may handle or re-raise it
            error = exc


async def run_async(steps: Steps[T], store: AsyncGraphStore) -> T:
    """Drive an operation with the asyncio driver; computations go to a worker thread."""
    value: Any = None
    error: Exception | None = None
    while True:
        done, step = resume(steps, value, error)
        if done:
            return step  # type: ignore[no-any-return]
        value, error = None, None
        try:
            if isinstance(step, Read):
                value = await store.read(step.query)
            elif isinstance(step, ReadAll):
                value = list(await asyncio.gather(*(store.read(q) for q in step.queries)))
            elif isinstance(step, RawRead):
                value = await store.read_raw(step.text, step.params)
            elif isinstance(step, Write):
                value = await store.write(step.work)
            else:
                value = await asyncio.to_thread(step.fn, *step.args)
        except Exception as exc:
            error = exc


def resume(
    steps: Generator[Any, Any, Any], value: Any, error: Exception | None = None
) -> tuple[bool, Any]:
    """Resume a generator with the answer to its last step (or the error it caused):
    `(False, next_step)`, or `(True, its_result)` when it has finished."""
    try:
        return False, steps.throw(error) if error is not None else steps.send(value)
    except StopIteration as stop:
        return True, stop.value


def _tx_sync(work: Callable[[], TxSteps[T]], tx: Tx) -> T:
    steps = work()
    rows: Rows | None = None
    while True:
        done, q = resume(steps, rows)
        if done:
            return q  # type: ignore[no-any-return]
        rows = tx.run(q.name, rel_type=q.rel_type, label=q.label, **q.params)

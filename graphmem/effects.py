"""Operations written once, run by the blocking or the asyncio driver.

Every public operation of `Memory` / `AsyncMemory` is a generator that *yields* what it needs
(a read, a write transaction, a CPU-bound computation) and receives the answer, instead of
calling the store. `graphmem.store.drivers` answers them with the blocking or the asyncio
driver, so the logic of an operation exists in one place (the "sans-I/O" style of h11). This
module names no I/O and imports nothing else of graphmem.

Inside a write transaction the generator yields `Query` steps only; the transaction function
is called anew on every retry, so it must not keep state between attempts.

>>> def count_entities() -> Steps[int]:
...     rows = yield from read("entity_count")
...     return int(rows[0]["count"])
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

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
    """Run caller-supplied Cypher (checked by `graphmem.search.readonly`) in a read transaction."""

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
    """Build a `Query` the way `run` and `read` are called."""
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


def resume(
    steps: Generator[Any, Any, Any], value: Any, error: Exception | None = None
) -> tuple[bool, Any]:
    """Resume a generator with the answer to its last step (or the error it caused):
    `(False, next_step)`, or `(True, its_result)` when it has finished."""
    try:
        return False, steps.throw(error) if error is not None else steps.send(value)
    except StopIteration as stop:
        return True, stop.value

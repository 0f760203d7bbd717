"""A store that answers from scripted rows: operations run with no graph server (h11's way).

Every operation of graphmem is a generator of `graphmem.effects` steps; the real drivers answer
them with a graph store. `ScriptedStore` implements the same `graphmem.store.drivers.Store`
contract with no I/O at all: each `Query` is answered by its statement name from a script, and
every statement asked for is recorded, in order, with its parameters. Write work is driven with
the real stepping loop (`graphmem.store.drivers.drive`), so the code under test is the code that
runs in production, minus the network.

    store = ScriptedStore({"fact_versions": [row], "fact_close": lambda params: [{}]})
    result = run_scripted(writes.delete(ctx, "m1"), store)
    assert store.names == ["fact_versions", "fact_close"]

By default each statement is checked as the graph stores check it before sending it: the file
`cypher/<name>.cypher` must exist and the parameters must be exactly the ones it declares.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphmem.effects import Query, Rows, Steps, TxSteps
from graphmem.store.drivers import adrive, drive, run_sync
from graphmem.store.queries import prepare

T = TypeVar("T")

# What a statement is answered with: rows, a function of the parameters giving rows, or an
# exception to raise (as the store would, e.g. a constraint violation).
Answer = Rows | Callable[[dict[str, Any]], Rows] | BaseException
Script = Mapping[str, Answer] | Callable[[Query], Rows]


class UnscriptedStatement(LookupError):
    """A statement the script has no answer for (the test did not expect it)."""


@dataclass(frozen=True)
class Call:
    """One statement the store was asked to run."""

    kind: str  # "read", "write" (inside a write transaction) or "raw"
    name: str  # the statement name; for "raw", the caller's Cypher text
    params: dict[str, Any]
    rel_type: str | None = None
    label: str | None = None
    tx: int | None = None  # the write transaction's number (1, 2, ...), None outside one


@dataclass
class ScriptedStore:
    """The `Store` contract (`read`, `read_all`, `read_raw`, `write`) answered from a script.

    script: statement name -> `Answer`, or a function of the `Query` giving its rows.
    raw: the answer to `read_raw` (rows, or a function of (text, params) giving rows).
    default: the rows for a statement the script does not name; without it such a statement
        raises `UnscriptedStatement` (thrown into the operation, as a store error would be).
    check: check each statement against its `cypher/` file (exists, declared parameters,
        relationship type and label names), for `engine`'s variant.
    """

    script: Script = field(default_factory=dict)
    raw: Rows | Callable[[str, dict[str, Any]], Rows] | None = None
    default: Rows | None = None
    check: bool = True
    engine: str | None = "neo4j"
    calls: list[Call] = field(default_factory=list)
    batches: list[tuple[str, ...]] = field(default_factory=list)  # the names of each read_all
    transactions: int = 0

    # -- the Store contract -----------------------------------------------------------------

    def read(self, q: Query) -> Rows:
        return self.answer(q)

    def read_all(self, queries: Sequence[Query]) -> list[Rows]:
        self.batches.append(tuple(q.name for q in queries))
        return [self.answer(q) for q in queries]

    def read_raw(self, text: str, params: dict[str, Any]) -> Rows:
        self.calls.append(Call("raw", text, dict(params)))
        if self.raw is None:
            raise UnscriptedStatement(f"read_raw was not scripted: {text!r}")
        return _copy(self.raw(text, params) if callable(self.raw) else self.raw)

    def write(self, work: Callable[[], TxSteps[T]]) -> T:
        self.transactions += 1
        tx = self.transactions
        return drive(work(), lambda q: self.answer(_query(q), kind="write", tx=tx))

    # -- what the tests look at -------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The statement names asked for, in order (raw reads as "<raw>")."""
        return [c.name if c.kind != "raw" else "<raw>" for c in self.calls]

    @property
    def statements(self) -> list[tuple[str, dict[str, Any]]]:
        """(name, params) of every statement asked for, in order."""
        return [(c.name, c.params) for c in self.calls]

    def params_of(self, name: str) -> list[dict[str, Any]]:
        """The parameters of every call of statement `name`, in order."""
        return [c.params for c in self.calls if c.name == name]

    def in_transaction(self, tx: int) -> list[str]:
        """The statement names run inside write transaction number `tx`."""
        return [c.name for c in self.calls if c.tx == tx]

    def answer(self, q: Query, *, kind: str = "read", tx: int | None = None) -> Rows:
        """Record `q` and answer it from the script (the stores' one way to answer)."""
        self.calls.append(Call(kind, q.name, dict(q.params), q.rel_type, q.label, tx))
        if self.check:
            prepare(q.name, q.params, rel_type=q.rel_type, label=q.label, engine=self.engine)
        if callable(self.script):
            return _copy(self.script(q))
        if q.name not in self.script:
            if self.default is None:
                raise UnscriptedStatement(f"statement {q.name!r} was not scripted ({kind})")
            return _copy(self.default)
        answer = self.script[q.name]
        if isinstance(answer, BaseException):
            raise answer
        return _copy(answer(dict(q.params)) if callable(answer) else answer)


class AsyncScriptedStore:
    """The `AsyncStore` contract over a `ScriptedStore` (its records and script): every answer
    is awaited, and write work is stepped by the asyncio loop (`adrive`)."""

    def __init__(self, store: ScriptedStore) -> None:
        self.store = store

    async def read(self, q: Query) -> Rows:
        return await _later(lambda: self.store.read(q))

    async def read_all(self, queries: Sequence[Query]) -> list[Rows]:
        return await _later(lambda: self.store.read_all(queries))

    async def read_raw(self, text: str, params: dict[str, Any]) -> Rows:
        return await _later(lambda: self.store.read_raw(text, params))

    async def write(self, work: Callable[[], TxSteps[T]]) -> T:
        self.store.transactions += 1
        tx = self.store.transactions

        def answer(q: Any) -> Awaitable[Rows]:
            return _later(lambda: self.store.answer(_query(q), kind="write", tx=tx))

        return await adrive(work(), answer)


async def _later(fn: Callable[[], T]) -> T:
    await asyncio.sleep(0)  # give other tasks a turn, as a network round trip would
    return fn()


def run_scripted(steps: Steps[T], store: ScriptedStore | Script | None = None) -> T:
    """Run an operation with the blocking driver against a scripted store (or a script)."""
    if store is None or not isinstance(store, ScriptedStore):
        store = ScriptedStore(store if store is not None else {})
    return run_sync(steps, store)


def one_after_another(*answers: Rows) -> Callable[[dict[str, Any]], Rows]:
    """An answer that gives `answers[0]` on the first call, `answers[1]` on the next, ...; the
    last one is repeated."""
    queue = list(answers)

    def answer(params: dict[str, Any]) -> Rows:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer


def _query(step: Any) -> Query:
    if not isinstance(step, Query):
        raise TypeError(f"a write transaction may yield Query steps only, got {step!r}")
    return step


def _copy(rows: Iterable[dict[str, Any]]) -> Rows:
    """Fresh rows each time, so an operation that edits its rows cannot edit the script."""
    return copy.deepcopy(list(rows))

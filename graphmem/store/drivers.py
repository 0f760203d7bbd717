"""The two drivers of `graphmem.effects` steps, side by side: blocking and asyncio.

An operation is a generator of steps (`graphmem.effects`); a driver answers each step and sends
the answer back (or throws the error it caused into the generator), until the generator returns.
`drive` / `adrive` are that one stepping loop, blocking and awaiting; `run_sync` / `run_async`
answer an operation's steps with a store, and the stores run a write transaction's statements
with the same loops. A store is anything with the `Store` / `AsyncStore` contract: the graph
stores of this package, or the scripted store of the fast tests (`tests/helpers`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, Protocol, TypeVar

from ..effects import Compute, Query, RawRead, Read, ReadAll, Rows, Steps, TxSteps, Write, resume

T = TypeVar("T")


class Store(Protocol):
    """What the blocking driver needs of a store."""

    def read(self, q: Query) -> Rows: ...

    def read_all(self, queries: Sequence[Query]) -> list[Rows]: ...

    def read_raw(self, text: str, params: dict[str, Any]) -> Rows: ...

    def write(self, work: Callable[[], TxSteps[T]]) -> T: ...


class AsyncStore(Protocol):
    """What the asyncio driver needs of a store: the same contract, awaited."""

    async def read(self, q: Query) -> Rows: ...

    async def read_all(self, queries: Sequence[Query]) -> list[Rows]: ...

    async def read_raw(self, text: str, params: dict[str, Any]) -> Rows: ...

    async def write(self, work: Callable[[], TxSteps[T]]) -> T: ...


def drive(steps: Generator[Any, Any, T], answer: Callable[[Any], Any]) -> T:
    """Step `steps` to its end, answering each step with `answer(step)`; an exception raised by
    `answer` is thrown into the generator, which may handle or re-raise it."""
    done, step = resume(steps, None)
    while not done:
        done, step = resume(steps, *_outcome(answer, step))
    return step  # type: ignore[no-any-return]


async def adrive(steps: Generator[Any, Any, T], answer: Callable[[Any], Awaitable[Any]]) -> T:
    """`drive`, awaiting each answer."""
    done, step = resume(steps, None)
    while not done:
        done, step = resume(steps, *(await _aoutcome(answer, step)))
    return step  # type: ignore[no-any-return]


def _outcome(answer: Callable[[Any], Any], step: Any) -> tuple[Any, Exception | None]:
    try:
        return answer(step), None
    except Exception as exc:
        return None, exc


async def _aoutcome(
    answer: Callable[[Any], Awaitable[Any]], step: Any
) -> tuple[Any, Exception | None]:
    try:
        return await answer(step), None
    except Exception as exc:
        return None, exc


def run_sync(steps: Steps[T], store: Store) -> T:
    """Run an operation with the blocking driver."""

    def answer(step: Any) -> Any:
        if isinstance(step, Read):
            return store.read(step.query)
        if isinstance(step, ReadAll):
            return store.read_all(step.queries)
        if isinstance(step, RawRead):
            return store.read_raw(step.text, step.params)
        if isinstance(step, Write):
            return store.write(step.work)
        return _compute(step).fn(*step.args)

    return drive(steps, answer)


async def run_async(steps: Steps[T], store: AsyncStore) -> T:
    """Run an operation with the asyncio driver; computations go to a worker thread."""

    async def answer(step: Any) -> Any:
        if isinstance(step, Read):
            return await store.read(step.query)
        if isinstance(step, ReadAll):
            return await store.read_all(step.queries)
        if isinstance(step, RawRead):
            return await store.read_raw(step.text, step.params)
        if isinstance(step, Write):
            return await store.write(step.work)
        return await asyncio.to_thread(_compute(step).fn, *step.args)

    return await adrive(steps, answer)


def _compute(step: Any) -> Compute:
    if not isinstance(step, Compute):
        raise TypeError(f"not a graphmem.effects step: {step!r}")
    return step

"""The read operations of `Memory` / `AsyncMemory`: facts, version chains, what changed."""

from __future__ import annotations

from typing import Any

from . import records
from .context import Context
from .effects import Steps, read
from .errors import NotFoundError, ValidationError
from .filters import matches
from .filters import validate as validate_filters
from .scope import Scope
from .times import now_iso


def get(ctx: Context, memory_id: str) -> Steps[dict[str, Any] | None]:
    """The latest version of a memory (current, or closed with its status), or None."""
    found = yield from versions(memory_id)
    return found[-1] if found else None


def get_all(
    ctx: Context,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    filters: dict[str, Any] | None = None,
    page: int = 1,
    page_size: int = 100,
) -> Steps[dict[str, Any]]:
    """The scope's current facts, newest first, one page; `filters` as in `graphmem.filters`."""
    scope = Scope.of(user_id, agent_id, run_id)
    if (
        not isinstance(page, int)
        or page < 1
        or not isinstance(page_size, int)
        or not (1 <= page_size <= 10_000)
    ):
        raise ValidationError("page must be >= 1 and page_size in 1..10000")
    if filters is None:
        rows = yield from read(
            "fact_list",
            now=now_iso(),
            skip=(page - 1) * page_size,
            limit=page_size,
            **scope.narrow(),
        )
        return {"results": [records.fact(r) for r in rows]}
    validate_filters(filters)
    rows = yield from read("fact_list", now=now_iso(), skip=0, limit=10_000_000, **scope.narrow())
    selected = [f for f in map(records.fact, rows) if matches(filters, f)]
    start = (page - 1) * page_size
    return {"results": selected[start : start + page_size]}


def history(ctx: Context, memory_id: str) -> Steps[list[dict[str, Any]]]:
    """Every change of a memory, oldest first: ADD, UPDATEs, and DELETE if deleted."""
    found = yield from versions(memory_id)
    if not found:
        raise NotFoundError(f"no memory with id {memory_id!r}")
    return records.history(found)


def versions(memory_id: str) -> Steps[list[dict[str, Any]]]:
    """Every version of a memory, oldest first."""
    if not isinstance(memory_id, str) or not memory_id:
        raise ValidationError("memory_id must be a non-empty string")
    rows = yield from read("fact_versions", memory_id=memory_id)
    return [records.fact(r) for r in rows]


def current_version(memory_id: str) -> Steps[dict[str, Any]]:
    """The current version of a memory; NotFoundError if there is none."""
    found = yield from versions(memory_id)
    if not found:
        raise NotFoundError(f"no memory with id {memory_id!r}")
    current = [v for v in found if v["status"] == "current"]
    if not current:
        raise NotFoundError(f"memory {memory_id!r} is {found[-1]['status']}: no current version")
    return current[-1]

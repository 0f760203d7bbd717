"""The read operations of `Memory` / `AsyncMemory`: facts, version chains, what changed."""

from __future__ import annotations

from typing import Any

from . import records
from .checks import check_int
from .context import Context
from .effects import Steps, query, read, read_all
from .errors import NotFoundError, ValidationError
from .facts import MEMORY_TYPES, memory_type
from .filters import matches
from .filters import validate as validate_filters
from .scope import Scope
from .search.shaping import cite
from .times import now_iso, to_iso


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
    as_of: Any = None,
    known_at: Any = None,
) -> Steps[dict[str, Any]]:
    """The scope's current facts, newest first, one page; `filters` as in `graphmem.filters`.

    `as_of` (valid time): the facts that were true in the world then, whatever their status
    now. `known_at` (recorded time): the facts the memory held as current then. Together:
    what the memory believed at `known_at` about the world at `as_of`.
    """
    scope = Scope.of(user_id, agent_id, run_id)
    check_int("page", page, 1)
    check_int("page_size", page_size, 1, 10_000)
    if filters is not None:
        validate_filters(filters)
    skip, limit = (page - 1) * page_size, page_size
    if filters is not None:
        skip, limit = 0, 10_000_000
    times = {"as_of": to_iso(as_of, "as_of"), "known_at": to_iso(known_at, "known_at")}
    if times["as_of"] or times["known_at"]:
        rows = yield from read("fact_list_at", skip=skip, limit=limit, **times, **scope.narrow())
    else:
        rows = yield from read("fact_list", now=now_iso(), skip=skip, limit=limit, **scope.narrow())
    facts = [records.fact(r) for r in rows]
    if filters is None:
        return {"results": facts}
    selected = [f for f in facts if matches(filters, f)]
    start = (page - 1) * page_size
    return {"results": selected[start : start + page_size]}


def changes(
    ctx: Context,
    *,
    since: Any,
    until: Any = None,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    limit: int = 1000,
) -> Steps[dict[str, Any]]:
    """What the memory learned and retired in [since, until), oldest first: ADD and UPDATE
    when a version was recorded, DELETE when one was deleted or expired, FEEDBACK when
    feedback was given."""
    scope = Scope.of(user_id, agent_id, run_id)
    start, end = to_iso(since, "since"), to_iso(until, "until")
    if start is None:
        raise ValidationError("since is required (a datetime or ISO 8601 text)")
    check_int("limit", limit, 1, 100_000)
    window = {"since": start, "until": end, "limit": limit, **scope.narrow()}
    rows, judged = yield from read_all(
        query("fact_changes", **window), query("feedback_changes", **window)
    )
    events = records.changes(rows, start, end, [records.feedback_event(r["f"]) for r in judged])
    return {"results": events[:limit]}


def history(ctx: Context, memory_id: str, *, sources: bool = False) -> Steps[list[dict[str, Any]]]:
    """Every change of a memory, oldest first: ADD, UPDATEs, and DELETE if deleted; each
    FEEDBACK given on a version (`graphmem.feedback`) right after the event that opened it.

    With `sources`, each event also has the `episode_ids` of the version it opened and, as
    `sources`, those episodes (id, content, role, name, occurred_at, metadata), as search
    results cite theirs; a DELETE event opened no version: none.
    """
    found = yield from versions(memory_id)
    if not found:
        raise NotFoundError(f"no memory with id {memory_id!r}")
    events = records.history(found)
    if sources:
        owner = Scope.of_record(found[0])
        taught = [{"episode_ids": v["episode_ids"]} for v in found]
        yield from cite(owner, taught)
        # one ADD or UPDATE per version, in order (records.history), then maybe a DELETE
        for event, version in zip(events[: len(taught)], taught, strict=True):
            event.update(version)
        for event in events[len(taught) :]:
            event.update(episode_ids=[], sources=[])
    judged = yield from read("feedback_of_memory", memory_id=memory_id)
    return records.with_feedback(events, [records.feedback_event(r["f"]) for r in judged])


def versions(memory_id: str) -> Steps[list[dict[str, Any]]]:
    """Every version of a memory, oldest first.

    An id that names a relationship type (`graphmem.facts.new_memory_id`) is found by index
    seeks: that type's versions, then those of the other types they list in `memory_types`
    (read at once; none unless the memory changed type). Independent of how many facts the
    store holds. Any other id (uuid4 ids of stores made before typed ids), or one whose type
    has no version left (an unknown id; a memory whose versions of that type were erased by a
    narrowed `delete_all` while versions of another type remain), is looked up by
    `scan_versions`.
    """
    if not isinstance(memory_id, str) or not memory_id:
        raise ValidationError("memory_id must be a non-empty string")
    first = memory_type(memory_id)
    if first is None:
        found = yield from scan_versions(memory_id)
        return found
    rows = yield from read("fact_versions_of_type", rel_type=first, memory_id=memory_id)
    if not rows:
        found = yield from scan_versions(memory_id)
        return found
    others = sorted({t for row in rows for t in row["r"].get(MEMORY_TYPES) or []} - {first})
    if others:
        answers = yield from read_all(
            *(query("fact_versions_of_type", rel_type=t, memory_id=memory_id) for t in others)
        )
        rows = [*rows, *(row for answer in answers for row in answer)]
    return sorted((records.fact(r) for r in rows), key=lambda v: v["version"] or 0)


def scan_versions(memory_id: str) -> Steps[list[dict[str, Any]]]:
    """Every version of a memory, oldest first, by a scan of every relationship
    (`cypher/fact_versions.cypher`): the lookup of ids that name no type."""
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

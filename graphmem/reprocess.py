"""`reprocess`: extract the episodes that `add` stored while the LLM could not be reached.

When the LLM extractor's retries are spent (`LLMUnavailableError`), `add` and `add_many`
store the messages anyway, each episode marked as waiting for extraction (`writes.mark_waiting`:
``extraction = "waiting"``, the add call it came in and its place there, the error and its
time). `reprocess` takes those add calls in the order their messages occurred and does for
each what `add` would have done when it was called:

* one extraction of the call's messages, with the same speaker and message time, the LLM
  shown the facts that were true when they were said;
* the same reconciliation (`writes.apply_facts`), with the message time as the time the
  facts were said: a fact without its own valid time starts then, so one learned late is
  placed in its version chain by valid time, and a newer fact learned meanwhile stays current;
* in one transaction with clearing the mark, so a call is extracted once (a concurrent run
  that took it first, or a forgotten episode, rolls it back for the next run to read again).

Facts are recorded (`recorded_at`) when they are reprocessed: that is when the memory learned
them. A call whose extraction fails stays waiting with the new error; when the LLM is still
unreachable the run stops there, and every call not yet extracted stays waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from .checks import check_int
from .context import Context
from .effects import Steps, TxSteps, read, run, write
from .errors import GraphmemError, LLMUnavailableError
from .messages import Message
from .scope import Scope
from .times import from_store, now_iso
from .webhooks.outbox import notify
from .writes import (
    apply_facts,
    embed_and_resolve,
    extract_facts,
    link_episodes,
    mark_waiting,
    mentioned_ids,
    speaker_of,
)


class _Taken(Exception):
    """The call's episodes are no longer all waiting: roll its transaction back."""


def reprocess(
    ctx: Context,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    limit: int | None = None,
) -> Steps[dict[str, Any]]:
    """Extract the scope's episodes waiting for extraction (every owner's when no id is
    given), oldest first, at most `limit` add calls. Returns the fact events in `results`,
    the episode ids extracted in `reprocessed`, those still waiting in `waiting`, and the
    errors of the calls that failed (`errors`: their episode ids and the error)."""
    if limit is not None:
        check_int("limit", limit, 1)
    if user_id is None and agent_id is None and run_id is None:
        rows = yield from read("episode_waiting_all")
    else:
        rows = yield from read("episode_waiting", **Scope.of(user_id, agent_id, run_id).narrow())
    calls = list(_calls([r["episode"] for r in rows]))
    events: list[dict[str, Any]] = []
    done: list[str] = []
    errors: list[dict[str, Any]] = []
    stopped = False
    for index, call in enumerate(calls):
        if stopped or (limit is not None and index >= limit):
            break
        ids = [e["id"] for e in call]
        try:
            found = yield from _extract_call(ctx, call)
        except _Taken:
            continue
        except GraphmemError as exc:
            yield from _still_waiting(Scope.of_record(call[0]), ids, str(exc))
            errors.append({"episodes": ids, "error": str(exc)})
            stopped = isinstance(exc, LLMUnavailableError)
            continue
        events.extend(found)
        done.extend(ids)
    extracted = set(done)
    waiting = [e["id"] for call in calls for e in call if e["id"] not in extracted]
    return {
        "message": _message(len(done), len(waiting), stopped),
        "results": events,
        "reprocessed": done,
        "waiting": waiting,
        "errors": errors,
    }


def _calls(episodes: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The waiting episodes grouped by add call (they come adjacent, in occurrence order),
    each call's in message order."""
    for _, group in groupby(episodes, key=lambda e: (e["owner"], e["call"])):
        yield sorted(group, key=lambda e: e["part"])


def _still_waiting(scope: Scope, ids: list[str], error: str) -> Steps[None]:
    """Keep a call's episodes waiting, with the error of this attempt."""
    now = now_iso()
    yield from write(lambda: mark_waiting([(scope, ids)], error, now))


def _extract_call(ctx: Context, call: list[dict[str, Any]]) -> Steps[list[dict[str, Any]]]:
    """What `add` would have done with the call's messages (see the module docstring)."""
    first = call[0]
    scope = Scope.of_record(first)
    ids = [e["id"] for e in call]
    msgs = [Message(role=e["role"], content=e["content"], name=e["name"]) for e in call]
    said_at = from_store(first["occurred_at"])
    assert said_at is not None  # every episode has its occurrence time
    facts = yield from extract_facts(
        ctx, scope, msgs, speaker_of(scope, msgs), said_at, first["metadata"], as_of=said_at
    )
    _, hints = yield from embed_and_resolve(ctx, scope, facts, [])
    now = now_iso()

    def work() -> TxSteps[list[dict[str, Any]]]:
        rows = yield from run("episode_extracted", ids=ids, owner=scope.owner)
        if int(rows[0]["claimed"]) != len(ids):
            raise _Taken
        events = yield from apply_facts(ctx, scope, facts, ids, said_at, now, hints)
        yield from link_episodes([(ids, mentioned_ids(events))])
        yield from notify(scope, events, now)
        return events

    events: list[dict[str, Any]] = yield from write(work)
    return events


def _message(done: int, waiting: int, stopped: bool) -> str:
    text = f"Extracted {done} waiting episode(s)"
    if waiting:
        text += f"; {waiting} still waiting"
        if stopped:
            text += " (the LLM is still unreachable: run reprocess again later)"
    return text

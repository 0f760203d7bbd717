"""The webhook outbox: deliveries queued by the write that made the event, and their state.

`notify(events, now)` runs inside a write's transaction function, after the events are made:
one `webhook_enqueue` statement queues a `WebhookDelivery` for each (event, matching webhook)
pair, with the JSON body the receiver will get. So a delivery exists exactly when its write
committed, and survives any restart. Events of kind NOOP and NONE change nothing and are not
sent. The body of an event (`payload`)::

    {"id": <event id>, "event": "memory_add" | "memory_update" | "memory_delete" |
     "memory_feedback", "memory_id", "old_memory", "new_memory", "version", "version_id",
     "status", "relationship", "source", "target", "categories", "user_id", "agent_id",
     "run_id", "created_at": <when the event happened>, "valid_from", "valid_to",
     "feedback", "reason"}

`old_memory` is the text before the event (None for an add), `new_memory` after it (None for a
delete); a feedback event carries the memory's text in both, with its `feedback` and `reason`.

Deliveries are sent in the order (`at`, `n`): the microsecond their transaction was built,
then their place among its events. The other functions are the deliverer's steps
(`graphmem.webhooks.delivery`).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from ..effects import Steps, TxSteps, read, run, write
from ..scope import Scope

TYPES = {"ADD": "memory_add", "UPDATE": "memory_update", "DELETE": "memory_delete",
         "FEEDBACK": "memory_feedback"}  # fmt: skip


def notify(scope: Scope, events: list[dict[str, Any]], now: str) -> TxSteps[None]:
    """Inside a write transaction: queue the events (the scope's, all made at `now`) for the
    webhooks that take them."""
    yield from notify_all([(scope, events, now)])


def notify_all(groups: list[tuple[Scope, list[dict[str, Any]], str]]) -> TxSteps[None]:
    """`notify` for several groups of events at once (`add_many`, `batch_update`), each with
    its scope and time, in one statement."""
    at = time.time_ns() // 1000
    found = [
        (scope, event, now)
        for scope, events, now in groups
        for event in events
        if event.get("event") in TYPES
    ]
    rows = [_row(scope, event, n, at, now) for n, (scope, event, now) in enumerate(found)]
    if rows:
        yield from run("webhook_enqueue", events=rows)


def payload(scope: Scope, event: dict[str, Any], event_id: str, now: str) -> dict[str, Any]:
    """What a receiver is sent for one event (see the module docstring)."""
    kind = event["event"]
    text = event.get("memory")
    old = {"ADD": None, "UPDATE": event.get("previous_memory")}.get(kind, text)
    return {
        "id": event_id,
        "event": TYPES[kind],
        "memory_id": event["id"],
        "old_memory": old,
        "new_memory": None if kind == "DELETE" else text,
        "version": event.get("version"),
        "version_id": event.get("version_id"),
        "status": event.get("status"),
        "relationship": event.get("relationship"),
        "source": event.get("source"),
        "target": event.get("target"),
        "categories": event.get("categories"),
        **scope.ids(),
        "created_at": now,
        "valid_from": event.get("valid_from"),
        "valid_to": event.get("valid_to"),
        "feedback": event.get("feedback"),
        "reason": event.get("reason"),
    }


def _row(scope: Scope, event: dict[str, Any], n: int, at: int, now: str) -> dict[str, Any]:
    event_id = str(uuid.uuid4())
    body = payload(scope, event, event_id, now)
    return {
        "id": event_id,
        "event": body["event"],
        "memory_id": event["id"],
        "body": json.dumps(body, separators=(",", ":"), default=str),
        "at": at,
        "n": n,
        "now": now,
        **scope.narrow(),
    }


# -- the deliverer's steps -------------------------------------------------------------------


def due_webhooks(now: float) -> Steps[list[dict[str, Any]]]:
    """The active webhooks with deliveries pending whose receiver is not backing off."""
    rows = yield from read("webhook_due", now=now)
    return rows


def pending(webhook_id: str, limit: int) -> Steps[list[dict[str, Any]]]:
    """A webhook's pending deliveries, in order."""
    rows = yield from read("delivery_pending", webhook_id=webhook_id, limit=limit)
    return rows


def delivered(delivery_ids: list[str]) -> Steps[None]:
    """The receiver took them: the deliveries leave the outbox."""
    yield from write(lambda: run("delivery_done", ids=delivery_ids))


def attempted(delivery_id: str, attempts: int, error: str, *, give_up: bool) -> Steps[None]:
    """A failed attempt: counted, and the delivery kept pending or, with `give_up`, failed."""
    status = "failed" if give_up else "pending"
    yield from write(
        lambda: run(
            "delivery_attempt", id=delivery_id, attempts=attempts, status=status, error=error
        )
    )


def receiver_state(
    webhook_id: str, failures: int, retry_at: float, error: str | None
) -> Steps[None]:
    """The receiver's consecutive failures and when to try it again (0 failures: healthy)."""
    yield from write(
        lambda: run(
            "webhook_backoff", id=webhook_id, failures=failures, retry_at=retry_at, error=error
        )
    )

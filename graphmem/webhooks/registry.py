"""Register, list, update and delete webhooks.

A webhook belongs to one owner scope (a user, agent or run, optionally narrowed by agent and
run, as memories are) and takes the event types it names (`EVENT_TYPES`). It matches the
events of memories in its scope: a webhook of ``user_id="alice"`` gets every agent's and run's
events of Alice's memories, one of ``user_id="alice", agent_id="coach"`` only the coach's.
Another owner's events never reach it.

Each webhook has a signing secret (`graphmem.webhooks.signing`): given, or made here
(64 hex digits). It is returned by `create_webhook`, and by `update_webhook` when changed,
never by `get_webhooks`.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from ..checks import check_id, check_text
from ..context import Context
from ..effects import Steps, read, run, write
from ..errors import NotFoundError, ValidationError
from ..scope import Scope
from ..times import now_iso

EVENT_TYPES = ("memory_add", "memory_update", "memory_delete", "memory_feedback")
_MAX_URL = 2048
_MAX_NAME = 200
_SECRET_CHARS = (16, 256)


def create_webhook(
    ctx: Context,
    url: str,
    event_types: list[str] | None = None,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    name: str | None = None,
    secret: str | None = None,
) -> Steps[dict[str, Any]]:
    """Register `url` for the scope's `event_types` (None: all four). Returns the webhook with
    its `secret` (the one given, else a new random one): keep it to verify signatures."""
    scope = Scope.of(user_id, agent_id, run_id)
    now = now_iso()
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "name": check_text("name", name, _MAX_NAME),
        "url": _url(url),
        "event_types": _event_types(list(EVENT_TYPES) if event_types is None else event_types),
        "secret": _secret(secret) if secret is not None else secrets.token_hex(32),
    }
    rows = yield from write(lambda: run("webhook_create", now=now, **fields, **scope.params()))
    return {**_record(rows[0]), "secret": fields["secret"]}


def get_webhooks(
    ctx: Context,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
) -> Steps[dict[str, Any]]:
    """The scope's webhooks, oldest first, each with its deliveries `pending` and `failed`
    (given up on) and the receiver's consecutive `failures`."""
    scope = Scope.of(user_id, agent_id, run_id)
    rows = yield from read("webhook_list", **scope.narrow())
    return {"results": [_record(r) for r in rows]}


def get_webhook(ctx: Context, webhook_id: str) -> Steps[dict[str, Any]]:
    """One webhook by id (NotFoundError when there is none)."""
    rows = yield from read("webhook_get", id=check_id("webhook_id", webhook_id))
    if not rows:
        raise NotFoundError(f"no webhook with id {webhook_id!r}")
    return _record(rows[0])


def update_webhook(
    ctx: Context,
    webhook_id: str,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    name: str | None = None,
    active: bool | None = None,
    secret: str | None = None,
) -> Steps[dict[str, Any]]:
    """Change what is given (None keeps it). A paused webhook (`active=False`) keeps queueing
    nothing new and delivers nothing until made active again; what was queued waits."""
    current = yield from get_webhook(ctx, webhook_id)
    if active is not None and not isinstance(active, bool):
        raise ValidationError(f"active must be true or false, got {active!r}")
    fields: dict[str, Any] = {
        "id": current["id"],
        "url": current["url"] if url is None else _url(url),
        "event_types": current["event_types"] if event_types is None else _event_types(event_types),
        "name": current["name"] if name is None else check_text("name", name, _MAX_NAME),
        "active": current["active"] if active is None else active,
    }
    new_secret = None if secret is None else _secret(secret)
    now = now_iso()
    rows = yield from write(lambda: run("webhook_update", secret=new_secret, now=now, **fields))
    record = _record(rows[0])
    return record if new_secret is None else {**record, "secret": new_secret}


def delete_webhook(ctx: Context, webhook_id: str) -> Steps[dict[str, Any]]:
    """Delete a webhook and the deliveries still queued for it."""
    yield from get_webhook(ctx, webhook_id)
    rows = yield from write(lambda: run("webhook_delete", id=webhook_id))
    dropped = int(rows[0]["deliveries"]) if rows else 0
    return {"message": f"Webhook {webhook_id} deleted", "deliveries_dropped": dropped}


def _record(row: dict[str, Any]) -> dict[str, Any]:
    w = row["w"]
    return {
        "id": w["id"],
        "name": w.get("name"),
        "url": w["url"],
        "event_types": list(w.get("event_types") or []),
        "active": bool(w.get("active")),
        "user_id": w.get("user_id"),
        "agent_id": w.get("agent_id"),
        "run_id": w.get("run_id"),
        "created_at": w.get("created_at"),
        "updated_at": w.get("updated_at"),
        "failures": int(w.get("failures") or 0),
        "last_error": w.get("last_error"),
        "pending": int(row.get("pending") or 0),
        "failed": int(row.get("failed") or 0),
    }


def _url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > _MAX_URL:
        raise ValidationError(f"url must be a string of at most {_MAX_URL} characters")
    try:
        parts = urlsplit(value.strip())
    except ValueError as exc:
        raise ValidationError(f"url {value!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"url must be an http:// or https:// URL with a host, got {value!r}")
    return value.strip()


def _event_types(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not value:
        raise ValidationError(f"event_types must be a non-empty list of {', '.join(EVENT_TYPES)}")
    unknown = [v for v in value if v not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            f"unknown event type(s) {unknown!r}: choose from {', '.join(EVENT_TYPES)}"
        )
    return list(dict.fromkeys(value))


def _secret(value: Any) -> str:
    low, high = _SECRET_CHARS
    if not isinstance(value, str) or not (low <= len(value) <= high) or not value.isprintable():
        raise ValidationError(f"secret must be {low} to {high} printable characters")
    return value

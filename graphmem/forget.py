"""Delete what one source taught: `forget_episode`, and `forget_document` (every episode of
a document `add` stored).

A fact whose only sources are the forgotten episodes is retracted (kept in history with
status `retracted`, true in no read), and the memory's value from before them becomes
current again (`restore`); a fact that other episodes also taught just loses these sources.
The episodes themselves are deleted.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from . import records
from .checks import check_id
from .context import Context
from .effects import Steps, TxSteps, read, run, write
from .errors import NotFoundError
from .reads import versions
from .scope import Scope
from .times import now_iso
from .webhooks.outbox import notify


def forget_episode(
    ctx: Context,
    episode_id: str,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
) -> Steps[dict[str, Any]]:
    """Retract what the episode alone taught, restore what that had replaced, and delete the
    episode. Returns the events: DELETE (retracted) and UPDATE (restored)."""
    scope = Scope.of(user_id, agent_id, run_id)
    check_id("episode_id", episode_id)
    if not (yield from read("episode_find", id=episode_id, owner=scope.owner)):
        raise NotFoundError(f"no episode {episode_id!r} in {scope.owner}'s memory")
    events = yield from _forget(scope, [episode_id])
    return {"message": f"Forgot episode {episode_id}", "results": events}


def forget_document(
    ctx: Context,
    document_id: str,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
) -> Steps[dict[str, Any]]:
    """`forget_episode` for every episode of a document `add` stored (its pages or
    sections, graphmem.documents), in one transaction: what they alone taught is retracted.
    Returns the events and the forgotten episodes' ids, in the document's order."""
    scope = Scope.of(user_id, agent_id, run_id)
    check_id("document_id", document_id)
    rows = yield from read("episode_document", owner=scope.owner, document_id=document_id)
    if not rows:
        raise NotFoundError(f"no document {document_id!r} in {scope.owner}'s memory")
    ids = [row["id"] for row in sorted(rows, key=_place)]
    events = yield from _forget(scope, ids)
    message = f"Forgot document {document_id} ({len(ids)} episodes)"
    return {"message": message, "results": events, "episodes": ids}


def _forget(scope: Scope, episode_ids: list[str]) -> Steps[list[dict[str, Any]]]:
    """Forget the episodes (the owner's, all existing) in one write transaction."""
    now = now_iso()
    gone = set(episode_ids)
    rows = yield from read("fact_by_episodes", episode_ids=episode_ids, owner=scope.owner)
    taught = [records.fact(r) for r in rows]
    alone = [f for f in taught if set(f["episode_ids"]) <= gone]
    chains = {}
    for memory_id in {f["id"] for f in alone}:
        chains[memory_id] = yield from versions(memory_id)
    retracting = {f["version_id"] for f in alone}

    def work() -> TxSteps[list[dict[str, Any]]]:
        events: list[dict[str, Any]] = []
        for fact in taught:
            if fact["version_id"] not in retracting:
                yield from run(
                    "fact_drop_provenance",
                    subject_id=fact["source_id"],
                    id=fact["version_id"],
                    episode_ids=sorted(gone & set(fact["episode_ids"])),
                )
                continue
            yield from run(
                "fact_retract", subject_id=fact["source_id"], id=fact["version_id"], now=now
            )
            if fact["status"] != "current":
                continue
            events.append({**fact, "event": "DELETE", "status": "retracted", "expired_at": now})
            restored = yield from restore(chains[fact["id"]], fact, retracting, now)
            if restored is not None:
                events.append(restored)
        yield from run("episode_delete", ids=episode_ids, owner=scope.owner)
        yield from notify(scope, events, now)
        return events

    events: list[dict[str, Any]] = yield from write(work)
    return events


def _place(row: dict[str, Any]) -> int:
    """An episode's place in its document (its metadata's document part)."""
    document = json.loads(row["metadata"] or "{}").get("document") or {}
    return int(document.get("part") or 0)


def restore(
    chain: list[dict[str, Any]], retracted: dict[str, Any], retracting: set[str], now: str
) -> TxSteps[dict[str, Any] | None]:
    """Make the memory's value from before the retracted version current again, as a new
    version: the last earlier version that this call does not retract too (the forgotten
    episodes taught it alone), if it was superseded. Nothing when it is gone (retracted
    before) or there is none: the memory is as if those episodes were never said."""
    before = [
        v
        for v in chain
        if v["version"] < retracted["version"] and v["version_id"] not in retracting
    ]
    if not before or before[-1]["status"] != "superseded":
        return None
    previous = before[-1]
    new_id = str(uuid.uuid4())
    yield from run(
        "fact_reopen",
        rel_type=previous["relationship"],
        subject_id=previous["source_id"],
        id=previous["version_id"],
        new_id=new_id,
        version=max(v["version"] for v in chain) + 1,
        now=now,
    )
    rows = yield from run("fact_version", subject_id=previous["source_id"], id=new_id)
    event = records.fact(rows[0])
    return {**event, "event": "UPDATE", "previous_memory": retracted["memory"]}

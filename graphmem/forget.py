"""Delete what one source taught: `forget_episode`.

A fact whose only source is the episode is retracted (kept in history with status
`retracted`, true in no read), and the version it had superseded becomes current again; a
fact that other episodes also taught just loses this source. The episode itself is deleted.
"""

from __future__ import annotations

import uuid
from typing import Any

from . import records
from .context import Context
from .effects import Steps, TxSteps, read, run, write
from .errors import NotFoundError, ValidationError
from .reads import versions
from .scope import Scope
from .times import now_iso


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
    if not isinstance(episode_id, str) or not episode_id:
        raise ValidationError("episode_id must be a non-empty string")
    now = now_iso()
    chains: dict[str, list[dict[str, Any]]] = {}

    if not (yield from read("episode_find", id=episode_id, owner=scope.owner)):
        raise NotFoundError(f"no episode {episode_id!r} in {scope.owner}'s memory")
    rows = yield from read("fact_by_episode", episode_id=episode_id, owner=scope.owner)
    taught = [records.fact(r) for r in rows]
    for memory_id in {f["id"] for f in taught if f["episode_ids"] == [episode_id]}:
        chains[memory_id] = yield from versions(memory_id)

    retracting = {f["version_id"] for f in taught if f["episode_ids"] == [episode_id]}

    def work() -> TxSteps[list[dict[str, Any]]]:
        events: list[dict[str, Any]] = []
        for fact in taught:
            if fact["episode_ids"] != [episode_id]:
                yield from run(
                    "fact_drop_provenance",
                    subject_id=fact["source_id"],
                    id=fact["version_id"],
                    episode_id=episode_id,
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
        yield from run("episode_delete", id=episode_id, owner=scope.owner)
        return events

    events = yield from write(work)
    return {"message": f"Forgot episode {episode_id}", "results": events}


def restore(
    chain: list[dict[str, Any]], retracted: dict[str, Any], retracting: set[str], now: str
) -> TxSteps[dict[str, Any] | None]:
    """Make the version the retracted one had superseded current again, as a new version;
    nothing when that one is gone too (retracted before, or by this call: the episode taught
    it alone as well)."""
    before = [v for v in chain if v["version"] < retracted["version"]]
    if not before or before[-1]["status"] != "superseded" or before[-1]["version_id"] in retracting:
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

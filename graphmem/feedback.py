"""Feedback on a memory, and what the memory learns from it: `feedback`.

``feedback(memory_id, "POSITIVE" | "NEGATIVE" | "VERY_NEGATIVE", reason=None, by=None)``
judges a memory's current version:

* **Kept as data**: one `Feedback` node per call in the memory's scope (its kind, `reason`,
  `by` (who gave it, free text), when, the version judged and its relation and object).
  `history` and `changes` show it as a FEEDBACK event, `export` / `import_` carry it,
  `delete_all` erases it with the scope.
* **Ranking**: the version keeps its latest feedback (`feedback` on the record), and search
  scales the fact's score by it (`graphmem.search.ranking.with_feedback`; scores stay in
  [0, 1]). A later version (an update) starts without feedback.
* **VERY_NEGATIVE** also retracts the version (kept in history with status `retracted`, true
  in no read) and makes the version it had superseded current again, as `forget_episode` does.
* **Learning**: a (relation, object) that an owner marked wrong (NEGATIVE or VERY_NEGATIVE)
  `WRONG_TIMES` times, on any of the owner's memories, is no longer extracted for that owner
  (`rejected`: both extractors; the LLM is also told in its one call), until POSITIVE feedback
  on a memory with that relation and object, or `add_relation` stating it, clears the marks
  (they stay, with `cleared_at`). Facts written with `add_relation` are never filtered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from .checks import check_text
from .context import Context
from .effects import Steps, TxSteps, read, run, write
from .errors import NotFoundError, ValidationError
from .forget import restore
from .reads import versions
from .resolve import name_key
from .scope import Scope
from .times import now_iso
from .webhooks.outbox import notify

KINDS = ("POSITIVE", "NEGATIVE", "VERY_NEGATIVE")
WRONG_TIMES = 2  # wrong marks on one (relation, object) before extraction leaves it out
_MAX_TEXT = 2000  # characters of a reason or of `by`


@dataclass(frozen=True)
class Rejected:
    """A (relation, object) an owner marked wrong `WRONG_TIMES` times: not extracted again."""

    relationship: str
    object_key: str
    object: str


def feedback(
    ctx: Context,
    memory_id: str,
    feedback: str,
    reason: str | None = None,
    *,
    by: str | None = None,
) -> Steps[dict[str, Any]]:
    """Record feedback on a memory's current version (see the module docstring). Returns
    ``{"message", "feedback": <the record>, "results": <events>}``: the events of a
    VERY_NEGATIVE are DELETE (the version retracted) and UPDATE (what it had superseded,
    restored); other kinds have none. A memory with no current version is NotFoundError."""
    kind = _kind(feedback)
    reason, by = check_text("reason", reason, _MAX_TEXT), check_text("by", by, _MAX_TEXT)
    chain = yield from versions(memory_id)
    current = [v for v in chain if v["status"] == "current"]
    if not current:
        state = f"is {chain[-1]['status']}: no current version" if chain else "does not exist"
        raise NotFoundError(f"memory {memory_id!r} {state}")
    version = current[-1]
    scope = Scope.of_record(version)
    now = now_iso()
    record = {
        "id": str(uuid.uuid4()),
        "memory_id": version["id"],
        "version_id": version["version_id"],
        "version": version["version"],
        "feedback": kind,
        "wrong": kind != "POSITIVE",
        "reason": reason,
        "by": by,
        "relationship": version["relationship"],
        "object": version["target"],
        "object_key": name_key(version["target"]),
    }

    def work() -> TxSteps[list[dict[str, Any]]]:
        yield from run(
            "feedback_create", subject_id=version["source_id"], now=now, **record, **scope.params()
        )
        if kind == "POSITIVE":
            yield from clear_marks(scope, version["relationship"], version["target"], now)
        events = []
        if kind == "VERY_NEGATIVE":
            yield from run(
                "fact_retract", subject_id=version["source_id"], id=record["version_id"], now=now
            )
            retracted = {**version, "event": "DELETE", "status": "retracted", "expired_at": now}
            restored = yield from restore(chain, version, set(), now)
            events = [retracted, *([restored] if restored else [])]
        judged = {**version, "event": "FEEDBACK", "feedback": kind, "reason": reason}
        yield from notify(scope, [judged, *events], now)
        return events

    events = yield from write(work)
    shown = {k: v for k, v in record.items() if k != "wrong"}
    return {
        "message": f"Feedback {kind} recorded",
        "feedback": {**shown, "at": now, **scope.ids()},
        "results": [{**e, "feedback": kind} if e["event"] == "DELETE" else e for e in events],
    }


def rejected(scope: Scope) -> Steps[list[Rejected]]:
    """The (relation, object) pairs extraction leaves out for the scope's owner."""
    rows = yield from read("feedback_rejected", owner=scope.owner, times=WRONG_TIMES)
    return [Rejected(r["relationship"], r["object_key"], r["object"]) for r in rows]


def clear_marks(scope: Scope, relationship: str, object: str, now: str) -> TxSteps[None]:
    """The owner says (relationship, object) is right: its wrong marks stop counting."""
    yield from run(
        "feedback_clear",
        owner=scope.owner,
        relationship=relationship,
        object_key=name_key(object),
        now=now,
    )


def _kind(value: Any) -> str:
    kind = value.strip().upper() if isinstance(value, str) else None
    if kind not in KINDS:
        raise ValidationError(f"feedback must be one of {', '.join(KINDS)}, got {value!r}")
    return kind

"""Shape store rows into the plain, JSON-serializable dicts the API returns (mem0-like)."""

from __future__ import annotations

import json
from typing import Any

from .times import from_store


def fact(row: dict[str, Any]) -> dict[str, Any]:
    """One fact version: the row of a `fact_*` statement (r, relationship, source, target)."""
    r, source, target = row["r"], row["source"], row["target"]
    return {
        "id": r["memory_id"],
        "memory": r.get("fact"),
        "source": source["name"],
        "relationship": row["relationship"],
        "target": target["name"],
        "source_type": source.get("type"),
        "target_type": target.get("type"),
        "version": r.get("version"),
        "version_id": r["id"],
        "status": r.get("status"),
        "valid_from": from_store(r.get("valid_from")),
        "valid_to": from_store(r.get("valid_to")),
        "recorded_at": from_store(r.get("recorded_at")),
        "expired_at": from_store(r.get("expired_at")),
        "created_at": from_store(r.get("created_at")),
        "updated_at": from_store(r.get("recorded_at")),
        "user_id": r.get("user_id"),
        "agent_id": r.get("agent_id"),
        "run_id": r.get("run_id"),
        "episode_ids": list(r.get("episode_ids") or []),
        "asserted_from": list(r.get("asserted_from") or []),
        "confidence": r.get("confidence"),
        "metadata": json.loads(r["metadata"]) if r.get("metadata") else None,
        "expiration_date": from_store(r.get("expiration_date")),
        "immutable": bool(r.get("immutable")),
        "feedback": r.get("feedback"),
        "categories": list(r.get("categories") or []),
        "source_id": source["id"],
        "target_id": target["id"],
    }


def light(values: list[Any]) -> tuple[dict[str, Any], float | None]:
    """A fact as traversal reads it (a `search_expand` list): the fields ranking and paths
    use, marked ``light`` until `fact` rows replace it; and the fact's raw similarity."""
    (vid, memory_id, relationship, sid, sname, stype, tid, tname, ttype) = values[:9]
    similarity, valid_from, recorded_at, episode_ids, feedback = values[9:]
    return {
        "id": memory_id,
        "source": sname,
        "relationship": relationship,
        "target": tname,
        "source_type": stype,
        "target_type": ttype,
        "version_id": vid,
        "valid_from": from_store(valid_from),
        "recorded_at": from_store(recorded_at),
        "episode_ids": list(episode_ids or []),
        "feedback": feedback,
        "source_id": sid,
        "target_id": tid,
        "light": True,
    }, similarity


def history(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of a version chain: ADD, then UPDATE per later version, DELETE if closed so."""
    events: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for v in versions:
        events.append(
            _event("ADD" if previous is None else "UPDATE", v, previous, v["recorded_at"])
        )
        previous = v
    if previous is not None and previous["status"] in ("deleted", "expired"):
        events.append(_event("DELETE", None, previous, previous["expired_at"]))
    return events


def with_feedback(
    events: list[dict[str, Any]], feedback: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A memory's history `events` with its FEEDBACK events (`feedback_event`, oldest first),
    each right after the ADD or UPDATE that opened the version it judged."""
    by_version: dict[Any, list[dict[str, Any]]] = {}
    for f in feedback:
        by_version.setdefault(f["version_id"], []).append(f)
    out: list[dict[str, Any]] = []
    for event in events:
        out.append(event)
        if event["event"] in ("ADD", "UPDATE"):
            out.extend(by_version.pop(event["id"], []))
    return out + [f for rest in by_version.values() for f in rest]


def changes(
    rows: list[dict[str, Any]],
    since: str,
    until: str | None,
    feedback: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Events from the rows of `fact_changes` (each a version plus the text it followed),
    oldest first: a version recorded in the window is an ADD or UPDATE, one deleted or
    expired in it a DELETE; `feedback` (FEEDBACK events given in the window) among them."""
    events: list[dict[str, Any]] = list(feedback or [])

    def inside(at: str | None) -> bool:
        return at is not None and at >= since and (until is None or at < until)

    for row in rows:
        v = fact(row)
        if inside(v["recorded_at"]):
            event = "ADD" if v["version"] == 1 or not row["previous"] else "UPDATE"
            events.append(
                {**_event(event, v, None, v["recorded_at"]), "old_memory": row["previous"]}
            )
        if v["status"] in ("deleted", "expired") and inside(v["expired_at"]):
            events.append(_event("DELETE", None, v, v["expired_at"]))
    events.sort(key=lambda e: (e["updated_at"] or "", e["version"] or 0))
    return events


def feedback_event(f: dict[str, Any]) -> dict[str, Any]:
    """A FEEDBACK event (of `history` and `changes`) from a Feedback node's properties."""
    at = from_store(f.get("at"))
    return {
        "id": f["id"],
        "memory_id": f["memory_id"],
        "event": "FEEDBACK",
        "version": f.get("version"),
        "version_id": f.get("version_id"),
        "feedback": f.get("feedback"),
        "reason": f.get("reason"),
        "by": f.get("by"),
        "relationship": f.get("relationship"),
        "target": f.get("object"),
        "cleared_at": from_store(f.get("cleared_at")),
        "created_at": at,
        "updated_at": at,
    }


def _event(
    event: str, new: dict[str, Any] | None, old: dict[str, Any] | None, at: str | None
) -> dict[str, Any]:
    current = new or old
    assert current is not None
    return {
        "id": current["version_id"],
        "memory_id": current["id"],
        "event": event,
        "version": current["version"],
        "old_memory": old["memory"] if old else None,
        "new_memory": new["memory"] if new else None,
        "source": current["source"],
        "relationship": current["relationship"],
        "target": current["target"],
        "status": current["status"],
        "valid_from": current["valid_from"],
        "valid_to": current["valid_to"],
        "recorded_at": current["recorded_at"],
        "expired_at": current["expired_at"],
        "created_at": current["created_at"],
        "updated_at": at,
    }

"""Bulk ingest: many messages (JSONL, or LoCoMo-style conversations) into the memory.

Messages are stored in batches of `batch_size` with `add_many` (graphmem/batch.py): each
message is one `add` call (its own episode, speaker and time), a batch is one extraction batch,
one embedding call and one transaction, and the stored graph is the one adding the messages one
by one would give. An interrupted ingest loses at most the batch in flight. Re-running skips
the messages already stored: an episode is recognised by its owner, agent/run ids, content hash
and time, counted as a multiset so a message said twice is stored twice. Messages are checked
for that batch by batch, with a progress bar on a terminal and a summary of the events at the
end.

JSONL: one message per line,
``{"user_id": "alice", "run_id": "s1", "role": "user", "name": "Alice", "content": "...",
"timestamp": "2024-05-01T10:00:00Z", "metadata": {...}}`` (``text``/``speaker`` are accepted
for ``content``/``name``; ids missing on a line come from the call's arguments).

LoCoMo: a list of samples ``{"sample_id", "conversation": {"speaker_a", "speaker_b",
"session_1_date_time": "1:56 pm on 8 May, 2023", "session_1": [{"speaker", "dia_id", "text"},
...], ...}}``; each sample is one user (its ``sample_id`` unless ``user_id`` is given), each
session one run (``<sample_id>/session_<n>``), the session date is the message time and
``dia_id`` goes into the metadata.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .batch import MAX_ITEMS, AddItem, add_many, named
from .checks import check_int, check_path
from .context import Context
from .effects import Steps, compute, read
from .errors import GraphmemError, ValidationError
from .messages import normalize_messages
from .scope import Scope
from .times import from_store, to_iso

log = logging.getLogger(__name__)

INGEST_FORMATS = ("jsonl", "locomo")
_FIELDS = {
    "content",
    "text",
    "role",
    "name",
    "speaker",
    "user_id",
    "agent_id",
    "run_id",
    "timestamp",
    "metadata",
}
_SESSION = re.compile(r"^session_(\d+)$")
_EVENTS = ("ADD", "UPDATE", "DELETE", "NOOP")


@dataclass(frozen=True)
class Item:
    """One message to ingest, validated."""

    where: str
    scope: Scope
    role: str
    content: str
    name: str | None
    timestamp: str | None
    metadata: dict[str, Any] | None

    def key(self) -> tuple[str | None, str | None, str, str | None]:
        """What identifies the stored episode within the owner (timestamp may be None)."""
        msg = normalize_messages({"role": self.role, "content": self.content})[0]
        return (self.scope.agent_id, self.scope.run_id, msg.content_hash(), self.timestamp)


def ingest(
    ctx: Context,
    source: str | Path | Iterable[dict[str, Any]],
    *,
    format: str | None = None,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    infer: bool = True,
    batch_size: int = 100,
    progress: bool | None = None,
    limit: int | None = None,
) -> Steps[dict[str, Any]]:
    """Ingest messages from a JSONL or LoCoMo JSON file (or the parsed records).

    Every message is validated before anything is stored; then `batch_size` messages at a time
    (at most `batch.MAX_ITEMS`) are stored in one `add_many` transaction, in input order. A
    batch that fails stores nothing and raises the error naming the message's place in the
    input (``chat.jsonl:12: ...``); the batches before it stay stored, and a re-run resumes.
    Returns a summary: messages seen, stored and skipped (already stored), stored but waiting
    for extraction (the LLM was unreachable: see `reprocess`), the fact events
    (ADD/UPDATE/DELETE/NOOP) and the scopes touched. `progress=None` shows a bar only when
    stderr is a terminal. Re-running with the same input stores nothing twice.
    """
    check_int("batch_size", batch_size, 1)
    items: list[Item] = yield from compute(
        load_items, source, format, {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    )
    if limit is not None:
        items = items[: max(0, int(limit))]
    started = time.perf_counter()
    bar = tqdm(
        total=len(items),
        unit="msg",
        desc="ingest",
        file=sys.stderr,
        disable=None if progress is None else not progress,
        dynamic_ncols=True,
    )
    events: Counter[str] = Counter()
    stored = skipped = waiting = 0
    known: dict[str, dict[str, Counter[Any]]] = {}  # owner -> content hash -> stored keys
    seen: Counter[tuple[str, Any]] = Counter()
    try:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            yield from _look_up(batch, known)
            todo = []
            for item in batch:
                key = item.key()
                stored_keys = known[item.scope.owner][key[2]]
                occurrence = seen[(item.scope.owner, key)]
                seen[(item.scope.owner, key)] += 1
                if occurrence < _stored_count(stored_keys, key):
                    skipped += 1
                else:
                    todo.append(item)
            bar.update(len(batch) - len(todo))
            for first in range(0, len(todo), MAX_ITEMS):
                part = todo[first : first + MAX_ITEMS]
                try:
                    results = yield from add_many(ctx, [_add_item(item, infer) for item in part])
                except GraphmemError as exc:  # name the input line, not the batch's item
                    index, cause = getattr(exc, "item", None), exc.__cause__
                    if index is None or not isinstance(cause, GraphmemError):
                        raise
                    raise named(cause, part[index].where) from cause
                stored += len(part)
                waiting += sum(len(result.get("waiting", [])) for result in results)
                if infer:
                    events.update(
                        e.get("event", "") for result in results for e in result["results"]
                    )
                bar.update(len(part))
            bar.set_postfix(stored=stored, skipped=skipped, facts=events["ADD"], refresh=False)
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    summary = {
        "messages": len(items),
        "stored": stored,
        "skipped": skipped,
        "waiting": waiting,
        "events": {name: events[name] for name in _EVENTS},
        "scopes": len({(i.scope.owner, i.scope.agent_id, i.scope.run_id) for i in items}),
        "users": len({i.scope.owner for i in items}),
        "seconds": round(seconds, 3),
        "messages_per_second": round(stored / seconds, 2) if seconds > 0 and stored else 0.0,
    }
    log.info("ingest: %s", summary)
    return summary


def _add_item(item: Item, infer: bool) -> AddItem:
    return AddItem(
        messages={"role": item.role, "content": item.content, "name": item.name},
        **item.scope.ids(),
        metadata=item.metadata,
        timestamp=item.timestamp,
        infer=infer,
    )


def _look_up(batch: list[Item], known: dict[str, dict[str, Counter[Any]]]) -> Steps[None]:
    """Fetch, once per (owner, content hash), which episodes were stored before this run."""
    wanted: dict[str, set[str]] = {}
    for item in batch:
        content_hash = item.key()[2]
        if content_hash not in known.get(item.scope.owner, {}):
            wanted.setdefault(item.scope.owner, set()).add(content_hash)
    for owner, hashes in wanted.items():
        rows = yield from read("episode_existing", owner=owner, hashes=sorted(hashes))
        per_hash = known.setdefault(owner, {})
        for content_hash in hashes:
            per_hash[content_hash] = Counter()
        for row in rows:
            occurred = to_iso(from_store(row["occurred_at"]))
            keys = per_hash[row["content_hash"]]
            keys[(row["agent_id"], row["run_id"], occurred)] += 1
            keys[(row["agent_id"], row["run_id"], None)] += 1


def _stored_count(stored: Counter[Any], key: tuple[Any, ...]) -> int:
    agent_id, run_id, _, timestamp = key
    return stored[(agent_id, run_id, timestamp)]


# -- reading the input ----------------------------------------------------------------------------


def load_items(
    source: str | Path | Iterable[dict[str, Any]],
    format: str | None = None,
    defaults: dict[str, Any] | None = None,
) -> list[Item]:
    """Parse and validate every message of the input before anything is stored."""
    defaults = defaults or {}
    if format is not None and format not in INGEST_FORMATS:
        raise ValidationError(f"format must be one of {', '.join(INGEST_FORMATS)}, not {format!r}")
    if isinstance(source, str | os.PathLike):
        path = check_path("source", source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc}") from exc
        records = _parse_text(text, path, format)
        where = str(path)
    elif isinstance(source, Iterable) and not isinstance(source, bytes | Mapping):
        records = [(f"record {i + 1}", r) for i, r in enumerate(source)]
        where = "input"
        if format == "locomo" or (format is None and _looks_like_locomo(records)):
            return _locomo_items([r for _, r in records], where, defaults)
    else:
        raise ValidationError(
            f"source must be a file path or an iterable of message dicts, got {source!r:.100}"
        )
    if records and records[0][0] == "locomo":
        return _locomo_items(records[0][1], where, defaults)
    return [_jsonl_item(w, r, defaults) for w, r in records]


def _parse_text(text: str, path: Path, format: str | None) -> list[tuple[str, Any]]:
    stripped = text.lstrip()
    is_json_doc = stripped.startswith("[") or (stripped.startswith("{") and format == "locomo")
    if format == "locomo" or (format is None and is_json_doc):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{path}: not valid JSON: {exc}") from exc
        samples = data if isinstance(data, list) else [data]
        if format == "locomo" or _looks_like_locomo([(str(path), s) for s in samples]):
            return [("locomo", samples)]
        return [(f"{path}[{i}]", r) for i, r in enumerate(samples)]
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"{path}:{number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{path}:{number}: not valid JSON: {exc}") from exc
    return records


def _looks_like_locomo(records: list[tuple[str, Any]]) -> bool:
    return bool(records) and all(
        isinstance(r, dict) and isinstance(r.get("conversation"), dict) for _, r in records
    )


def _jsonl_item(where: str, record: Any, defaults: dict[str, Any]) -> Item:
    if not isinstance(record, dict):
        raise ValidationError(f"{where}: expected a JSON object, got {type(record).__name__}")
    unknown = sorted(set(record) - _FIELDS)
    if unknown:
        raise ValidationError(
            f"{where}: unknown keys {unknown}; expected some of {sorted(_FIELDS)}"
        )
    ids = {k: record.get(k, defaults.get(k)) for k in ("user_id", "agent_id", "run_id")}
    return _item(
        where,
        ids,
        role=record.get("role") or "user",
        content=record.get("content", record.get("text")),
        name=record.get("name", record.get("speaker")),
        timestamp=record.get("timestamp"),
        metadata=record.get("metadata"),
    )


def _item(
    where: str,
    ids: dict[str, Any],
    *,
    role: Any,
    content: Any,
    name: Any,
    timestamp: Any,
    metadata: Any,
) -> Item:
    try:
        scope = Scope.of(**ids)
        msg = normalize_messages({"role": role, "content": content, "name": name})[0]
        if metadata is not None and not isinstance(metadata, dict):
            raise ValidationError("metadata must be a JSON object")
        return Item(
            where=where,
            scope=scope,
            role=msg.role,
            content=msg.content,
            name=msg.name,
            timestamp=to_iso(timestamp, "timestamp"),
            metadata=metadata,
        )
    except GraphmemError as exc:
        raise ValidationError(f"{where}: {exc}") from exc


def _locomo_items(samples: list[Any], where: str, defaults: dict[str, Any]) -> list[Item]:
    items: list[Item] = []
    for index, sample in enumerate(samples):
        here = f"{where}[{index}]"
        if not isinstance(sample, dict) or not isinstance(sample.get("conversation"), dict):
            raise ValidationError(f"{here}: a LoCoMo sample needs a 'conversation' object")
        conv = sample["conversation"]
        sample_id = str(sample.get("sample_id") or f"conversation-{index + 1}")
        sessions = sorted(
            (int(m.group(1)), key)
            for key in conv
            if (m := _SESSION.match(key)) and isinstance(conv[key], list)
        )
        for number, key in sessions:
            when = parse_locomo_date(conv.get(f"{key}_date_time"), f"{here}.{key}_date_time")
            run = defaults.get("run_id") or f"{sample_id}/session_{number}"
            ids = {
                "user_id": defaults.get("user_id") or sample_id,
                "agent_id": defaults.get("agent_id"),
                "run_id": run,
            }
            for turn_index, turn in enumerate(conv[key]):
                turn_where = f"{here}.{key}[{turn_index}]"
                if not isinstance(turn, dict):
                    raise ValidationError(f"{turn_where}: expected an object")
                text = turn.get("text") or ""
                caption = turn.get("blip_caption")
                if not text.strip() and caption:
                    text = f"[shares a photo of {caption}]"
                metadata: dict[str, Any] = {
                    "sample_id": sample_id,
                    "session": number,
                    "dia_id": turn.get("dia_id"),
                }
                if caption:
                    metadata["blip_caption"] = caption
                items.append(
                    _item(
                        turn_where,
                        ids,
                        role="user",
                        content=text,
                        name=turn.get("speaker"),
                        timestamp=when,
                        metadata=metadata,
                    )
                )
    return items


def parse_locomo_date(value: Any, where: str) -> str | None:
    """LoCoMo's session times, e.g. '1:56 pm on 8 May, 2023', as ISO 8601 (UTC).

    >>> parse_locomo_date("1:56 pm on 8 May, 2023", "x")
    '2023-05-08T13:56:00+00:00'
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{where}: expected a date string, got {value!r}")
    text = " ".join(value.replace(",", ", ").split()).replace(" ,", ",")
    for pattern in ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y"):
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=timezone.utc).isoformat()
    try:
        return to_iso(value, where)
    except ValidationError as exc:
        raise ValidationError(f"{where}: {value!r} is not a LoCoMo date") from exc

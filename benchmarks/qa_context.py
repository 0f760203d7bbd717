"""The memories of an answer prompt: `Memory.search` results as numbered lines with dates.

A fact reads as its sentence with the time it became true, followed by the turns it was
taken from (who said them and when); a raw turn reads as its speaker, time and text. A turn
already shown (as a result or as a fact's source) is not repeated.

    >>> fact = {"type": "fact", "memory": "Ann visited Oslo", "valid_from": "2023-05-07",
    ...         "sources": [{"id": "e1", "name": "Ann", "content": "I was in Oslo yesterday.",
    ...                      "occurred_at": "2023-05-08T13:56:00+00:00"}]}
    >>> turn = {"type": "episode", "id": "e1", "sources": fact["sources"]}
    >>> print(memories_text([fact, turn]))
    1. Ann visited Oslo (since 7 May 2023)
       from Ann at 1:56 pm on 8 May 2023: "I was in Oslo yesterday."
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

NO_MEMORIES = "(no memories were found)"


def when(iso: str | None) -> str:
    """An ISO time as LoCoMo writes session times ('1:56 pm on 8 May 2023'); a midnight is
    written as the date alone.

    >>> when("2023-05-07T00:00:00+00:00"), when(None)
    ('7 May 2023', 'an unknown time')
    """
    if not iso:
        return "an unknown time"
    t = datetime.fromisoformat(iso)
    day = f"{t.day} {t:%B %Y}"
    if (t.hour, t.minute) == (0, 0):
        return day
    return f"{t.hour % 12 or 12}:{t.minute:02d} {'am' if t.hour < 12 else 'pm'} on {day}"


def turn_line(source: dict[str, Any]) -> str:
    """One turn: speaker, time and text."""
    who = source.get("name") or source.get("role") or "someone"
    return f'{who} at {when(source.get("occurred_at"))}: "{source.get("content", "")}"'


def memories_text(results: list[dict[str, Any]]) -> str:
    """The numbered memories of `results` (search order), each turn shown once."""
    lines: list[str] = []
    shown: set[str] = set()
    n = 0
    for r in results:
        fresh = [s for s in r.get("sources") or [] if s.get("id") not in shown]
        shown.update(str(s.get("id")) for s in fresh)
        if r.get("type") == "episode" and not fresh:
            continue
        n += 1
        if r.get("type") == "episode":
            lines.append(f"{n}. {turn_line(fresh[0])}")
            continue
        since = f" (since {when(r['valid_from'])})" if r.get("valid_from") else ""
        lines.append(f"{n}. {r['memory']}{since}")
        lines.extend(f"   from {turn_line(s)}" for s in fresh)
    return "\n".join(lines) or NO_MEMORIES

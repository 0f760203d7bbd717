"""The time a question names: "in June", "in July 2023", "on October 13, 2023", "in 2023".

Pure parsing, no I/O: `window(text)` returns the `Window` the question asks about, or None
when it names no date. A month without a year matches that month of any year ("when did
Melanie go camping in June?"). Relative phrases ("last year", "before the trip") are left to
the graph's own times: they name no calendar window.

>>> window("What did Gina find for her store on 1 February, 2023?")
Window(year=2023, month=2, day=1)
>>> window("When did Melanie go camping in June?")
Window(year=None, month=6, day=None)
>>> window("Who is Alice?") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH = "|".join(MONTHS)  # capitalized, as dates are written: "may" is the verb
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERNS = (
    # "October 13, 2023", "October 13 2023", "October 13"
    re.compile(rf"\b(?P<month>{_MONTH})\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?"),
    # "13 October, 2023", "1 February 2023", "13 October"
    re.compile(rf"\b{_DAY}\s+(?P<month>{_MONTH})\b(?:,?\s+{_YEAR}\b)?"),
    # "July 2023", "in June"
    re.compile(rf"\b(?P<month>{_MONTH})\b(?:,?\s+{_YEAR}\b)?"),
    # "in 2023"
    re.compile(rf"\b(?:[Ii]n|[Dd]uring|of)\s+{_YEAR}\b"),
)


@dataclass(frozen=True)
class Window:
    """A calendar window: a year, a month (of any year when `year` is None), or a day."""

    year: int | None
    month: int | None
    day: int | None

    def holds(self, when: str | None) -> bool:
        """Whether the ISO time `when` falls in the window (an unknown time never does)."""
        if not when:
            return False
        t = datetime.fromisoformat(when)
        return (
            (self.year is None or t.year == self.year)
            and (self.month is None or t.month == self.month)
            and (self.day is None or t.day == self.day)
        )


def window(text: str) -> Window | None:
    """The first calendar window `text` names (see the module docstring), or None."""
    for pattern in _PATTERNS:
        m = pattern.search(text)
        if m is None:
            continue
        parts = m.groupdict()
        month = MONTHS.index(parts["month"]) + 1 if parts.get("month") else None
        if m.start() == 0 and m.group(0) == "May":
            continue  # "May I ask...": the verb, capitalized as the first word
        day = int(parts["day"]) if parts.get("day") else None
        if day is not None and not 1 <= day <= 31:
            continue
        year = int(parts["year"]) if parts.get("year") else None
        return Window(year, month, day)
    return None

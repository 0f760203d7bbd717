"""Resolve temporal expressions against the message time into (valid_from, valid_to).

Handles what people say in chat: "since 2021", "in May 2023", "last year", "yesterday",
"two years ago", "from 2018 to 2020", "until March". Unrecognised text gives (None, None).

>>> resolve("I've lived here since May 2021", "2024-05-10T12:00:00+00:00")
('2021-05-01T00:00:00+00:00', None)
>>> resolve("we met yesterday", "2024-05-10T12:00:00+00:00")[0]
'2024-05-09T00:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a couple of": 2,
    "a few": 3,
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_NUM = r"(?P<n>\d+|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>day|week|month|year)s?"

_POINT = [
    re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b"),
    re.compile(rf"\b{_YEAR}\b"),
    re.compile(rf"\b{_NUM}\s+{_UNIT}\s+ago\b"),
    re.compile(r"\b(?P<rel>last|this|next)\s+(?P<unit>week|month|year)\b"),
    re.compile(r"\b(?P<day>yesterday|today|tonight|tomorrow)\b"),
    re.compile(rf"\b(?:in|since|from|until|till|by)\s+{_MONTH}(?!\s+(?:of\s+)?(?:19|20)\d\d)\b"),
]
_UNTIL = re.compile(r"\b(?:until|till|to|through|by)\s+(?:(?:early|late|mid)\s+)?$")


def _anchor(occurred_at: str) -> date:
    return datetime.fromisoformat(occurred_at.replace("Z", "+00:00")).date()


def _first_of_month(d: date, months_back: int) -> date:
    index = d.year * 12 + (d.month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


def _point(match: re.Match[str], today: date) -> date | None:
    g = match.groupdict()
    if g.get("year") and g.get("month"):
        return date(int(g["year"]), MONTHS[g["month"]], 1)
    if g.get("year"):
        return date(int(g["year"]), 1, 1)
    if g.get("month"):  # a month without a year: the latest one not after today
        month = MONTHS[g["month"]]
        return date(today.year if month <= today.month else today.year - 1, month, 1)
    if g.get("n"):
        n = int(g["n"]) if g["n"].isdigit() else NUMBERS[g["n"]]
        unit = g["unit"]
        if unit == "day":
            return today - timedelta(days=n)
        if unit == "week":
            return today - timedelta(weeks=n)
        if unit == "month":
            return _first_of_month(today, n).replace(day=min(today.day, 28))
        return today.replace(year=today.year - n, day=min(today.day, 28))
    if g.get("rel"):
        step = {"last": -1, "this": 0, "next": 1}[g["rel"]]
        if g["unit"] == "year":
            return date(today.year + step, 1, 1)
        if g["unit"] == "month":
            return _first_of_month(today, -step)
        return today + timedelta(weeks=step)
    day = g.get("day")
    if day:
        return today + timedelta(days={"yesterday": -1, "tomorrow": 1}.get(day, 0))
    return None


def resolve(text: str, occurred_at: str) -> tuple[str | None, str | None]:
    """(valid_from, valid_to) as ISO datetimes, from the first time expressions in `text`."""
    lowered = text.lower()
    today = _anchor(occurred_at)
    found: list[tuple[int, int, date]] = []
    for pattern in _POINT:
        for match in pattern.finditer(lowered):
            span = match.span()
            if any(s <= span[0] < e or s < span[1] <= e for s, e, _ in found):
                continue
            when = _point(match, today)
            if when is not None:
                found.append((span[0], span[1], when))
    found.sort()
    start: date | None = None
    end: date | None = None
    for begin, _, when in found:
        before = lowered[max(0, begin - 20) : begin]
        before = re.sub(r"\b(?:in|of)\s+$", "", before)
        closing = _UNTIL.search(before) and (start is not None or not before.endswith("to "))
        if closing and end is None:
            end = when
        elif start is None:
            start = when
    return _iso(start), _iso(end)


def _iso(d: date | None) -> str | None:
    return None if d is None else f"{d.isoformat()}T00:00:00+00:00"

"""Time values in and out: everything is stored as a UTC datetime and returned as ISO 8601."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from .errors import ValidationError


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(timezone.utc).isoformat()


def to_iso(value: Any, field: str = "time") -> str | None:
    """Accept a datetime, a date, an ISO string or epoch seconds; naive times are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{field}: expected a datetime, got {value!r}")
    if isinstance(value, int | float):
        try:
            dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValidationError(f"{field}: {value!r} is not a time in range") from exc
    elif isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(f"{field}: {value!r} is not an ISO 8601 date/time") from exc
    else:
        raise ValidationError(f"{field}: expected a datetime or ISO string, got {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc).isoformat()
    except OverflowError as exc:  # e.g. 9999-12-31T23:00-10:00 is after year 9999 in UTC
        raise ValidationError(f"{field}: {value!r} is out of range in UTC") from exc


# A time as Cypher's toString() writes it: minutes always, seconds and fraction when non-zero.
_CYPHER_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?"
)


def from_store(value: Any) -> str | None:
    """A temporal value read from the store as ISO 8601 (UTC datetimes like `to_iso`).

    Statements return times as text (`toString(...)`: the driver takes ~75 us to build each
    DateTime object, which dominated reads of many facts); both engines write it as Cypher
    does, e.g. '2024-01-02T00:00Z'. A driver DateTime or Date object is accepted too.

    >>> from_store("2024-01-02T00:00Z"), from_store("2024-01-02T03:04:05.123456789+02:00")
    ('2024-01-02T00:00:00+00:00', '2024-01-02T01:04:05.123456+00:00')
    >>> from_store("2024-01-02")
    '2024-01-02'
    """
    if value is None:
        return None
    if isinstance(value, str):
        m = _CYPHER_TIME.fullmatch(value)
        if m is None:
            return value  # a date (or a time in a form we do not rewrite)
        day, hm, sec, frac, zone = m.groups()
        micros = (frac or "")[:6].ljust(6, "0")
        text = f"{day}T{hm}:{sec or '00'}{'.' + micros if micros.strip('0') else ''}"
        if zone in (None, "Z", "+00:00"):  # what graphmem stores: no need to convert
            return text + "+00:00"
        return datetime.fromisoformat(text + zone).astimezone(timezone.utc).isoformat()
    to_native = getattr(value, "to_native", None)
    native = to_native() if to_native else value
    return native.isoformat() if hasattr(native, "isoformat") else str(native)

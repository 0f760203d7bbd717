"""Time values in and out: everything is stored as a UTC datetime and returned as ISO 8601."""

from __future__ import annotations

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
        dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
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
    return dt.astimezone(timezone.utc).isoformat()


def from_store(value: Any) -> str | None:
    """A temporal value read from the store (neo4j.time.DateTime or similar) as ISO 8601."""
    if value is None:
        return None
    to_native = getattr(value, "to_native", None)
    native = to_native() if to_native else value
    return native.isoformat() if hasattr(native, "isoformat") else str(native)

"""Store values in an export document, the encoding every format shares.

JSON has no time type, so a datetime is written as {"$datetime": iso} and a date as
{"$date": iso}; `decode_value` turns them back into values ready to be sent to the store.

>>> from datetime import datetime, timezone
>>> encode_value(datetime(2024, 8, 1, tzinfo=timezone.utc))
{'$datetime': '2024-08-01T00:00:00+00:00'}
>>> decode_value({"$date": "2024-08-01"})
datetime.date(2024, 8, 1)
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from typing import Any

from ..errors import ValidationError


def encode_value(value: Any, key: str = "value") -> Any:
    """A store value as JSON: datetimes become {"$datetime": iso}, dates {"$date": iso}."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"property {key!r}: {value} cannot be exported")
        return value
    if isinstance(value, list | tuple):
        return [encode_value(v, key) for v in value]
    native = value.to_native() if hasattr(value, "to_native") else value
    if isinstance(native, datetime):
        if native.tzinfo is None:
            native = native.replace(tzinfo=timezone.utc)
        return {"$datetime": native.astimezone(timezone.utc).isoformat()}
    if isinstance(native, date):
        return {"$date": native.isoformat()}
    raise ValidationError(f"property {key!r}: cannot export a {type(value).__name__}")


def decode_value(value: Any, key: str = "value") -> Any:
    """The inverse of `encode_value`: a value ready to be sent to the store as a parameter."""
    if isinstance(value, list):
        return [decode_value(v, key) for v in value]
    if isinstance(value, dict):
        try:
            if set(value) == {"$datetime"}:
                dt = datetime.fromisoformat(value["$datetime"].replace("Z", "+00:00"))
                return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
            if set(value) == {"$date"}:
                return date.fromisoformat(value["$date"])
        except (AttributeError, ValueError) as exc:
            raise ValidationError(f"property {key!r}: bad time value {value!r}") from exc
        raise ValidationError(f"property {key!r}: maps cannot be stored as properties")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValidationError(f"property {key!r}: unsupported value {value!r}")

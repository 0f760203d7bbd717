"""Argument checks shared by the public operations (they raise `ValidationError`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import ValidationError

BATCH_MAX = 1000  # items of one batch_update / batch_delete call


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """`value` if it is an integer (not a bool) in `low..high` (no upper bound when `high` is
    None), else `ValidationError` naming the argument and the range.

    >>> check_int("limit", 5, 1, 50)
    5
    >>> check_int("limit", True, 1, 50)
    Traceback (most recent call last):
    graphmem.errors.ValidationError: limit must be an integer in 1..50, got True
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f"in {low}..{high}" if high is not None else f">= {low}"
        raise ValidationError(f"{name} must be an integer {bounds}, got {value!r}")
    return value


def check_id(name: str, value: Any) -> str:
    """`value` if it is a non-empty string (an id), else `ValidationError` naming it.

    >>> check_id("episode_id", "")
    Traceback (most recent call last):
    graphmem.errors.ValidationError: episode_id must be a non-empty string, got ''
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{name} must be a non-empty string, got {value!r}")
    return value


def check_text(name: str, value: Any, limit: int) -> str | None:
    """`value` stripped if it is None or text of 1..`limit` characters, else
    `ValidationError` naming it (optional free text: a reason, a name).

    >>> check_text("reason", "  a joke ", 100), check_text("reason", None, 100)
    ('a joke', None)
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(f"{name} must be a non-empty string of at most {limit} characters")
    return value.strip()


def check_path(name: str, value: Any) -> Path:
    """`value` as a `Path` if it is text or path-like (and holds no NUL), else
    `ValidationError` naming the argument.

    >>> check_path("path", "alice.json")
    PosixPath('alice.json')
    >>> check_path("path", 3)
    Traceback (most recent call last):
    graphmem.errors.ValidationError: path must be a file path (str or os.PathLike), got 3
    """
    if not isinstance(value, str | os.PathLike) or "\x00" in os.fspath(value):
        raise ValidationError(f"{name} must be a file path (str or os.PathLike), got {value!r}")
    return Path(value)

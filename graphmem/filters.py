"""Filters over memory records, mem0 v2 style: AND/OR/NOT nesting and comparison operators.

A filter is a dict. Keys are record fields (``relationship``, ``source``, ``target``,
``source_type``, ``target_type``, ``memory``, ``created_at``, ``updated_at``, ``valid_from``,
``valid_to``, ``categories``) or metadata keys (``metadata.topic`` or just ``topic``). Values
are a literal (equality) or an operator dict: ``in``, ``eq``, ``ne``, ``gt``, ``gte``, ``lt``,
``lte``, ``contains``, ``icontains``. On ``categories`` (a list) a literal, ``eq`` and
``contains`` mean "has this category", ``ne`` "has not", ``in`` "has one of these".

>>> matches({"OR": [{"topic": "work"}, {"relationship": {"in": ["LIVES_IN"]}}]},
...         {"relationship": "LIVES_IN", "metadata": {"topic": "home"}})
True
>>> matches({"categories": {"in": ["work", "travel"]}}, {"categories": ["family", "work"]})
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ValidationError

RECORD_FIELDS = frozenset(
    {
        "relationship",
        "source",
        "target",
        "source_type",
        "target_type",
        "memory",
        "created_at",
        "updated_at",
        "valid_from",
        "valid_to",
        "categories",
    }
)
LIST_FIELDS = frozenset({"categories"})

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda v, x: v == x,
    "ne": lambda v, x: v != x,
    "in": lambda v, x: v in x,
    "gt": lambda v, x: v is not None and v > x,
    "gte": lambda v, x: v is not None and v >= x,
    "lt": lambda v, x: v is not None and v < x,
    "lte": lambda v, x: v is not None and v <= x,
    "contains": lambda v, x: v is not None and x in v,
    "icontains": lambda v, x: isinstance(v, str) and str(x).lower() in v.lower(),
}


def validate(filters: Any) -> None:
    """Raise ValidationError naming the first malformed part of `filters`."""
    if not isinstance(filters, dict) or not filters:
        raise ValidationError(f"filters must be a non-empty dict, got {filters!r}")
    for key, value in filters.items():
        if key in ("AND", "OR"):
            if not isinstance(value, list) or not value:
                raise ValidationError(f"filters: {key} takes a non-empty list of filters")
            for sub in value:
                validate(sub)
        elif key == "NOT":
            validate(value)
        elif isinstance(value, dict):
            if not value:
                raise ValidationError(f"filters: {key!r} has an empty operator dict")
            for op, operand in value.items():
                if op not in _OPS:
                    raise ValidationError(
                        f"filters: unknown operator {op!r} on {key!r}; use one of {sorted(_OPS)}"
                    )
                if op == "in" and not isinstance(operand, list | tuple | set):
                    raise ValidationError(f"filters: 'in' on {key!r} takes a list")


def matches(filters: dict[str, Any], record: dict[str, Any]) -> bool:
    """True when `record` satisfies `filters` (validate first)."""
    for key, value in filters.items():
        if key == "AND":
            ok = all(matches(sub, record) for sub in value)
        elif key == "OR":
            ok = any(matches(sub, record) for sub in value)
        elif key == "NOT":
            ok = not matches(value, record)
        else:
            actual = _field(record, key)
            compare = _compare_list if key in LIST_FIELDS else _compare
            if isinstance(value, dict):
                ok = all(compare(op, actual, operand) for op, operand in value.items())
            else:
                ok = compare("eq", actual, value)
        if not ok:
            return False
    return True


def _field(record: dict[str, Any], key: str) -> Any:
    if key in RECORD_FIELDS:
        return record.get(key)
    meta = record.get("metadata") or {}
    return meta.get(key.removeprefix("metadata."))


def _compare_list(op: str, actual: Any, operand: Any) -> bool:
    values = actual if isinstance(actual, list) else []
    if op in ("eq", "contains"):
        return operand in values
    if op == "ne":
        return operand not in values
    if op == "in":
        return any(v in operand for v in values)
    return any(_compare(op, v, operand) for v in values)


def _compare(op: str, actual: Any, operand: Any) -> bool:
    try:
        return _OPS[op](actual, operand)
    except TypeError:  # e.g. comparing a number with a string: not a match
        return False

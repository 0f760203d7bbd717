"""How a LangGraph store item lives in graphmem: one episode, addressed by its metadata.

An item (namespace, key, value) is one stored message (`Episode`) of the store's scope. Its
content is the item's text for search (what `GraphmemStore` indexes); its metadata holds the
item itself::

    {"langgraph": {"address": [*namespace, key], "created_at": ISO, "indexed": bool,
                   "value": {...}}}

`graphmem.messages.metadata_json` stores metadata as JSON text with sorted keys, so that text
begins with the address: `address_prefix` turns a namespace prefix, or a whole address, into a
text prefix, and `read_items` finds the items under any of them with one statement
(`cypher/episode_metadata_prefix.cypher`), exactly (a JSON string ends with its quote, so
``("a", "b")`` never matches ``("a", "bc")``). The item's `updated_at` is the episode's recorded
time; `created_at` is carried over when a put replaces an item.

The module also holds the rest of LangGraph's item semantics that needs no LangGraph:
`value_matches` (a search `filter`), `namespace_matches` (list_namespaces' prefix and suffix
conditions, ``*`` a wildcard) and `string_leaves` (the default text of an item).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..effects import Steps, read
from ..errors import ValidationError
from ..messages import metadata_json
from ..scope import Scope
from ..times import from_store

ROOT = "langgraph"
_OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")


@dataclass(frozen=True)
class StoredItem:
    """One item as read from its episode."""

    episode_id: str
    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    indexed: bool

    @property
    def address(self) -> tuple[str, ...]:
        return (*self.namespace, self.key)


def item_metadata(
    namespace: Sequence[str], key: str, value: dict[str, Any], *, created_at: str, indexed: bool
) -> dict[str, Any]:
    """The metadata of the episode that stores an item (see the module docstring)."""
    return {
        ROOT: {
            "address": [*namespace, key],
            "created_at": created_at,
            "indexed": indexed,
            "value": value,
        }
    }


def address_prefix(parts: Sequence[str], *, exact: bool) -> str:
    """The start of the metadata text of the items at the address `parts` (`exact`), or of
    every item under the namespace prefix `parts` (``()``: every item).

    >>> address_prefix(("a", "b"), exact=False)
    '{"langgraph": {"address": ["a", "b", '
    >>> address_prefix(("a", "k"), exact=True)
    '{"langgraph": {"address": ["a", "k"]'
    """
    text = metadata_json({ROOT: {"address": list(parts)}})
    assert text is not None and text.endswith("]}}")
    head = text[: -len("]}}")]
    if exact:
        return head + "]"
    return head + ", " if parts else head


def read_items(scope: Scope, prefixes: Iterable[str]) -> Steps[list[StoredItem]]:
    """The items of `scope` whose metadata starts with one of `prefixes`, newest first (an
    address may have several episodes after concurrent puts: the first is its item)."""
    rows = yield from read(
        "episode_metadata_prefix", prefixes=sorted(set(prefixes)), **scope.narrow()
    )
    items = [_item(row) for row in rows]
    return [item for item in items if item is not None]


def _item(row: dict[str, Any]) -> StoredItem | None:
    """An item from its episode's row; None for an episode whose metadata only looks like one."""
    try:
        meta = json.loads(row["metadata"])[ROOT]
        *namespace, key = meta["address"]
        value = meta["value"]
        updated = from_store(row["recorded_at"])
        if not namespace or not isinstance(value, dict) or updated is None:
            return None
        return StoredItem(
            episode_id=row["id"],
            namespace=tuple(namespace),
            key=key,
            value=value,
            created_at=datetime.fromisoformat(meta["created_at"]),
            updated_at=datetime.fromisoformat(updated),
            indexed=bool(meta["indexed"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def value_matches(filter: dict[str, Any] | None, value: dict[str, Any]) -> bool:
    """Whether an item's value passes a LangGraph search `filter`: each key's value equal,
    compared as JSON (a dict matches the keys it names, a list element by element), or an
    operator dict of ``$eq, $ne, $gt, $gte, $lt, $lte`` (the order ones compare numbers).

    >>> value_matches({"user": {"name": "Ida"}, "score": {"$gte": 3}},
    ...               {"user": {"name": "Ida", "age": 40}, "score": 4})
    True
    >>> value_matches({"tags": ["a"]}, {"tags": ["a", "b"]})
    False
    """
    return all(_matches(value.get(k), expected) for k, expected in (filter or {}).items())


def _matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        if any(str(k).startswith("$") for k in expected):
            return all(_compare(actual, op, operand) for op, operand in expected.items())
        return isinstance(actual, dict) and all(
            _matches(actual.get(k), v) for k, v in expected.items()
        )
    if isinstance(expected, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(actual) == len(expected)
            and all(_matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def _compare(actual: Any, op: str, operand: Any) -> bool:
    if op == "$eq":
        return bool(actual == operand)
    if op == "$ne":
        return bool(actual != operand)
    if op not in _OPERATORS:
        raise ValidationError(f"filter: unknown operator {op!r}; use one of {list(_OPERATORS)}")
    try:
        a, b = float(actual), float(operand)
    except (TypeError, ValueError):
        return False  # a missing or non-numeric value is not in any range
    return {"$gt": a > b, "$gte": a >= b, "$lt": a < b, "$lte": a <= b}[op]


def namespace_matches(conditions: Iterable[tuple[str, Sequence[str]]], ns: Sequence[str]) -> bool:
    """Whether namespace `ns` meets every (match_type, path) condition: ``"prefix"`` or
    ``"suffix"``, ``"*"`` in a path matching any label.

    >>> namespace_matches([("prefix", ("a", "*")), ("suffix", ("f",))], ("a", "b", "f"))
    True
    """
    for match_type, path in conditions:
        if match_type not in ("prefix", "suffix"):
            raise ValidationError(f"unknown namespace match type {match_type!r}")
        if len(ns) < len(path):
            return False
        labels = ns[: len(path)] if match_type == "prefix" else ns[len(ns) - len(path) :]
        if any(p not in ("*", label) for p, label in zip(path, labels, strict=True)):
            return False
    return True


def string_leaves(value: Any) -> list[str]:
    """Every string in a JSON value, depth first (dict keys left out): an item's default text.

    >>> string_leaves({"content": "I live in Porto", "tags": ["home", 3], "n": {"x": "y"}})
    ['I live in Porto', 'home', 'y']
    """
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in string_leaves(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in string_leaves(v)]
    return []

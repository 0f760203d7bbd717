"""Hostile input for the fuzz tests (hypothesis strategies): injection-shaped names, control
and bidi characters, oversized text, values of the wrong type, doubtful times and counts.

Shared by the REST fuzz (tests/test_server_rest.py) and the library and CLI fuzz
(tests/test_fuzz_surface.py); each adds the ids of its own victim scope where it may name it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Text that has broken stores and parsers elsewhere: Cypher injection, a parameter name,
# paths, NUL and control characters, bidi overrides, zero-width and oversized text,
# relation and filter words.
INJECTIONS = [
    "Alice'}) MATCH (n) DETACH DELETE n //",
    '"}) RETURN 1 UNION MATCH (n) DELETE n //',
    "`x` SET n.owner = 'user:victim'",
    "$owner",
    "../../etc/passwd",
    "%00%2F",
    "\x00\x01\x1f\x7f",
    "\u202e\ufeff\u200b",
    "é" * 3000,
    "x" * 20_000,
    "LIVES_IN",
    "metadata.`k`",
    "OR",
    "NOT",
]


def short_texts(*extra: str) -> st.SearchStrategy[str]:
    """Ids and short names: `extra`, the injections, empty and blank text, any short text."""
    return st.sampled_from([*extra, "", " ", *INJECTIONS]) | st.text(max_size=40)


def junk_of(names: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Any value at all: scalars of every type (NaN and infinities included), lists and dicts
    of them, with `names` for text and keys."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | names
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
        max_leaves=12,
    )


def times_of(names: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Times of the right type but doubtful value: edge and impossible dates, numbers, text."""
    return (
        st.sampled_from(
            ["2024-01-01", "9999-12-31T23:59:59-10:00", "0001-01-01T00:00+05:00", "2024-02-30", ""]
        )
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | names
    )


# Counts and fractions around and far beyond their ranges.
counts = st.integers(-5, 20) | st.integers(-(2**70), 2**70)
fractions = st.floats(-2, 2) | st.floats(allow_nan=False)
# Odds as choices (hypothesis draws the ends of an integer range far more often than the rest).
OFTEN = st.sampled_from([True, True, True, True, False])
RARELY = st.sampled_from([False, False, False, False, True])
SELDOM = st.sampled_from([False] * 15 + [True])


def filters_of(junk: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Filters with real and hostile keys (operators, metadata paths, injections)."""
    keys = ["relationship", "source", "AND", "OR", "NOT", "metadata.k", *INJECTIONS]
    return st.dictionaries(st.sampled_from(keys), junk, max_size=3)


# Read-only Cypher for `query()`, and statements its guard must refuse (writes, several
# statements, a write inside a subquery, a syntax error).
CYPHER = st.sampled_from(
    [
        "MATCH (n {owner: $owner}) RETURN n.name AS name LIMIT 5",
        "MATCH (n) RETURN count(n) AS n",
        "MATCH (n {owner: $owner}) DETACH DELETE n",
        "MATCH (n {owner: $owner}) RETURN n; MATCH (m) DETACH DELETE m",
        "MATCH (n {owner: $owner}) CALL { WITH n DETACH DELETE n } RETURN 1",
        "MATCH (n {owner: $owner}) RETURN n.`set` AS s, 'DELETE' AS d",
        "CALL db.labels() YIELD label RETURN label, $owner AS o",
        "MATCH (n {owner: $owner}) RETRN n",
    ]
)

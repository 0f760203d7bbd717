"""The timeline of a functional memory (graphmem.timeline), checked without a store against
the plain reading of a list of moves: at any time, the latest move before it holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graphmem.timeline import Span, insert


def d(n: int) -> str:
    return f"d{n:03d}"


def value_at(spans: list[Span], at: str) -> str | None:
    for s in spans:
        if (s.start or "") <= at and (s.end is None or at < s.end):
            return s.value
    return None


def tell(moves: list[tuple[int, str]]) -> list[Span]:
    """Apply moves (day, value) in the order they are told, as reconciliation does."""
    day, value = moves[0]
    spans = [Span(value, d(day), None, [d(day)], current=True, key="k0")]
    for n, (day, value) in enumerate(moves[1:], 1):
        spans, _ = insert(spans, value, d(day))
        spans = [s if s.key else Span(**{**vars(s), "key": f"k{n}"}) for s in spans]
    return spans


def runs(moves: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """(value, start) of each run of equal values, in day order."""
    out: list[tuple[str, str]] = []
    for day, value in sorted(moves):
        if not out or out[-1][0] != value:
            out.append((value, d(day)))
    return out


moves = st.lists(st.integers(1, 60), min_size=1, max_size=10, unique=True).flatmap(
    lambda days: st.tuples(
        st.permutations(days),
        st.lists(st.sampled_from("ABC"), min_size=len(days), max_size=len(days)),
    ).map(lambda p: list(zip(p[0], p[1], strict=True)))
)


@given(moves)
def test_any_telling_order_gives_the_timeline_of_the_moves(told: list[tuple[int, str]]) -> None:
    spans = tell(told)
    for probe in range(0, 62):
        before = [v for day, v in sorted(told) if day <= probe]
        assert value_at(spans, d(probe)) == (before[-1] if before else None)
    # one version per run of equal values: nothing lost, nothing invented
    assert [(s.value, s.start) for s in spans] == runs(told)
    assert [s.current for s in spans] == [False] * (len(spans) - 1) + [True]
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end == b.start  # contiguous, valid_to >= valid_from
    assert spans[-1].end is None


def test_a_move_told_late_ends_where_the_old_value_was_said_again() -> None:
    spans = tell([(2, "Oslo"), (6, "Oslo"), (5, "Rome")])
    assert [(s.value, s.start, s.end) for s in spans] == [
        ("Oslo", d(2), d(5)),
        ("Rome", d(5), d(6)),
        ("Oslo", d(6), None),
    ]
    assert spans[0].copy_of == "k0" and spans[2].key == "k0"  # the current version stays


def test_the_same_value_told_earlier_only_starts_earlier() -> None:
    spans, placed = insert(tell([(1, "Rome"), (6, "Oslo")]), "Oslo", d(3))
    assert [(s.value, s.start, s.end) for s in spans] == [
        ("Rome", d(1), d(3)),
        ("Oslo", d(3), None),
    ]
    assert placed is spans[1] and placed.key is not None

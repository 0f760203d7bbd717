"""Where a late, dated fact goes in the version chain of a functional memory (pure logic).

A functional relation (one value at a time: LIVES_IN, WORKS_AT) is a timeline of values.
Each version covers [start, end) and remembers every time its value was said to begin
(`starts`): "Ann moved to Oslo" told for day 2 and again for day 6 is one version from day 2
that knows about day 6, so a move to Rome on day 5 told afterwards still ends on day 6.
A fact lands where its time says:

* inside a version with the same value: nothing new, the time is remembered;
* inside a version with another value: that version is split; the new value holds from its
  time until the old value was next said to begin (or until the version ended); when the
  version after it has the new value and follows without a gap, that one starts earlier;
* before everything: a new first version, or the first one starts earlier if it has the
  same value.

Times are ISO 8601 strings in UTC (they compare as text); a version without a start began
before anything else.

>>> chain = [Span("oslo", "d2", None, ["d2", "d6"], current=True, key="v1")]
>>> spans, placed = insert(chain, "rome", "d5")
>>> [(s.value, s.start, s.end, s.current) for s in spans]
[('oslo', 'd2', 'd5', False), ('rome', 'd5', 'd6', False), ('oslo', 'd6', None, True)]
>>> placed.value, spans[0].copy_of, spans[2].key
('rome', 'v1', 'v1')
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Span:
    """One version of a functional memory: `value` (the entity at the other end) over
    [start, end). `key` is the stored version it is; a new span has none, and `copy_of`
    names the stored version it was split from (same fact, provenance and embedding)."""

    value: str
    start: str | None
    end: str | None
    starts: list[str] = field(default_factory=list)
    current: bool = False
    key: str | None = None
    copy_of: str | None = None


def insert(chain: list[Span], value: str, at: str) -> tuple[list[Span], Span]:
    """The chain (oldest first) with `value` holding from `at`, and the span that now holds
    it: a new one (no key, no copy_of) when the fact added a version, else an existing one.
    The result is ordered by start; number versions by position."""
    spans = [_normal(s) for s in sorted(chain, key=lambda s: s.start or "")]
    before = [i for i, s in enumerate(spans) if (s.start or "") <= at]
    if not before:
        return _prepend(spans, value, at)
    i = before[-1]
    v = spans[i]
    after = spans[i + 1] if i + 1 < len(spans) else None
    if v.end is not None and at >= v.end:  # in a gap after v
        if after is not None and after.value == value:
            return _start_earlier(spans, i + 1, at)
        new = Span(value, at, after.start if after else None, [at])
        return [*spans[: i + 1], new, *spans[i + 1 :]], new
    if v.value == value:
        spans[i] = replace(v, starts=sorted({*v.starts, at}))
        return spans, spans[i]
    later = [t for t in v.starts if t > at and (v.end is None or t < v.end)]
    if later:  # v's value was said to begin again after `at`: v resumes then
        head = replace(
            v,
            end=at,
            starts=[t for t in v.starts if t <= at],
            current=False,
            key=None,
            copy_of=v.key,
        )
        new = Span(value, at, later[0], [at])
        tail = replace(v, start=later[0], starts=later)
        return [*spans[:i], head, new, tail, *spans[i + 1 :]], new
    spans[i] = replace(v, end=at, current=False)
    if after is not None and after.value == value and after.start == v.end:
        return _start_earlier(spans, i + 1, at)
    new = Span(value, at, v.end, [at], current=v.current)
    return [*spans[: i + 1], new, *spans[i + 1 :]], new


def _prepend(spans: list[Span], value: str, at: str) -> tuple[list[Span], Span]:
    first = spans[0] if spans else None
    if first is not None and first.value == value:
        return _start_earlier(spans, 0, at)
    new = Span(value, at, first.start if first else None, [at], current=first is None)
    return [new, *spans], new


def _start_earlier(spans: list[Span], i: int, at: str) -> tuple[list[Span], Span]:
    spans[i] = replace(spans[i], start=at, starts=sorted({*spans[i].starts, at}))
    return spans, spans[i]


def _normal(span: Span) -> Span:
    """A span whose `starts` include its own start, sorted (stores from before `starts`
    existed have none)."""
    starts = {*span.starts, *([span.start] if span.start else [])}
    return replace(span, starts=sorted(starts))

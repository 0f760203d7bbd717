"""When to retry a failed LLM request, and how long to wait first. No I/O: the LLM extractor
(graphmem/extraction/llm.py) makes the calls and sleeps; this module only decides.

A request is retried after a connection error, a timeout, a reply that is not a chat
completion, or an HTTP status of `RETRY_STATUSES` (408, 409, 429 and every 5xx), at most
`max_retries` times and never past `deadline` seconds from its first attempt. Each wait is
exponential with jitter ("equal jitter": between half and all of ``base * 2**retry``, capped
at `cap`), and at least what the server's ``Retry-After`` (or ``retry-after-ms``) header
asks; when that would run past the deadline, the request gives up at once.

>>> policy = RetryPolicy(max_retries=3, deadline=10.0, base=1.0, cap=4.0)
>>> [policy.wait(n, 0.0, retry_after=None, rand=1.0) for n in range(4)]
[1.0, 2.0, 4.0, None]
>>> policy.wait(0, 0.0, retry_after=3.0, rand=0.0), policy.wait(0, 8.0, retry_after=3.0, rand=0.0)
(3.0, None)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# HTTP statuses worth retrying: the server is busy, failing or asks to be asked again.
RETRY_STATUSES = frozenset({408, 409, 429})


def retryable_status(status: int) -> bool:
    """Whether a request that got this HTTP status may succeed when sent again."""
    return status in RETRY_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and for how long, one request is retried (see the module docstring).

    `max_retries` counts the attempts after the first; `deadline` bounds the whole request,
    attempts and waits, in seconds; `base` is the first wait (before jitter) and `cap` the
    longest wait the backoff alone gives.
    """

    max_retries: int = 4
    deadline: float = 120.0
    base: float = 0.5
    cap: float = 20.0

    def backoff(self, retry: int, rand: float) -> float:
        """The wait before retry number `retry` (0 = the first) when the server names none:
        between half and all of ``min(cap, base * 2**retry)``, `rand` in [0, 1] choosing."""
        ceiling = min(self.cap, self.base * 2.0 ** min(retry, 64))
        return ceiling * (0.5 + min(1.0, max(0.0, rand)) / 2.0)

    def wait(
        self, retry: int, elapsed: float, *, retry_after: float | None, rand: float
    ) -> float | None:
        """Seconds to wait before retry number `retry`, `elapsed` seconds after the first
        attempt began; None to give up (the retries are spent, or the wait would end at or
        past the deadline). A `retry_after` the server sent is a lower bound on the wait."""
        if retry >= self.max_retries:
            return None
        delay = self.backoff(retry, rand)
        if retry_after is not None:
            delay = max(delay, retry_after)
        if elapsed + delay >= self.deadline:
            return None
        return delay

    def attempt_timeout(self, timeout: float, elapsed: float) -> float:
        """The timeout of an attempt starting `elapsed` seconds into the request: the
        configured one, cut so the attempt ends by the deadline."""
        return max(0.0, min(timeout, self.deadline - elapsed))


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """The wait in seconds a response asks for: ``retry-after-ms``, else ``Retry-After`` as
    seconds or as an HTTP date (a date in the past is 0). None when absent or unreadable.
    `headers` must look names up case-insensitively (as httpx's do).

    >>> retry_after({"retry-after": "2.5"}), retry_after({"retry-after-ms": "1500"})
    (2.5, 1.5)
    >>> when = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    >>> retry_after({"retry-after": "Mon, 01 Jan 2024 12:00:07 GMT"}, when)
    7.0
    >>> retry_after({"retry-after": "soon"}) is None
    True
    """
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / scale
        except ValueError:
            continue
        if math.isfinite(seconds):
            return max(0.0, seconds)
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=timezone.utc)
    return max(0.0, (date - (now or datetime.now(timezone.utc))).total_seconds())

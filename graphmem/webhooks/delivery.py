"""`graphmem serve`'s deliverer: drains the webhook outbox in the background.

Run it for as long as the app serves, in the app's lifespan::

    async with delivering(memory, config):
        yield

Every `webhooks.poll_interval` seconds, at once after a request to the app that may have
written (`wake`), and at once again while a pass found a full batch, it
takes each active webhook with deliveries pending and sends them one at a time, in the order
their events were made, as ``POST <url>`` with the JSON body and the headers of
`graphmem.webhooks.signing` (the signature, the event type, the delivery's and the webhook's
ids). Webhooks are drained concurrently; each one's deliveries in order, so a memory's events
arrive in order. What the receiver answers decides (`verdict`):

* 2xx: delivered; the delivery leaves the outbox (up to 25 at a time, in one write).
* 408, 425, 429, any other status, or no answer (refused, timed out): the receiver is failing.
  The attempt is counted on the delivery, and the webhook waits `backoff(failures)` seconds
  before its next try, which starts again from this delivery (nothing later overtakes it).
* another 4xx: the receiver refuses this delivery; it is kept as ``failed`` and the next goes.

A delivery still failing `webhooks.give_up_after` seconds after it was queued is kept as
``failed`` too. Delivery is at least once: a receiver that took a delivery whose removal from
the outbox did not happen (the server stopped in between) gets it again, in order, with the
same delivery id header, so receivers deduplicate by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

from ..config import MemoryConfig, WebhookConfig
from ..effects import Steps
from . import outbox
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, WEBHOOK_HEADER, sign

if TYPE_CHECKING:
    from ..memory import Memory

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 100  # deliveries of one webhook read per pass
_DONE_BATCH = 25  # delivered ones removed from the outbox in one write
_RETRY_STATUSES = frozenset({408, 425, 429})
_MAX_ERROR = 500  # characters of a receiver's answer kept as the error


def backoff(failures: int, settings: WebhookConfig) -> float:
    """Seconds a receiver waits after its `failures`-th failure in a row: `retry_base`
    doubled per failure, at most `retry_max`.

    >>> [backoff(n, WebhookConfig()) for n in (1, 2, 3, 4, 12)]
    [1.0, 2.0, 4.0, 8.0, 300.0]
    """
    return float(min(settings.retry_max, settings.retry_base * 2 ** min(failures - 1, 60)))


def verdict(status_code: int) -> Literal["delivered", "retry", "refused"]:
    """What a receiver's HTTP status means for the delivery (see the module docstring).

    >>> [verdict(code) for code in (200, 204, 400, 404, 429, 500, 302)]
    ['delivered', 'delivered', 'refused', 'refused', 'retry', 'retry', 'retry']
    """
    if 200 <= status_code < 300:
        return "delivered"
    if 400 <= status_code < 500 and status_code not in _RETRY_STATUSES:
        return "refused"
    return "retry"


@asynccontextmanager
async def delivering(memory: Memory, config: MemoryConfig) -> AsyncIterator[Deliverer]:
    """Deliver webhook events in the background while the body runs (see above)."""
    deliverer = Deliverer(memory, config.webhooks)
    task = asyncio.create_task(deliverer.run())
    try:
        yield deliverer
    finally:
        task.cancel()  # a POST cut short stays pending: sent again on the next start
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Deliverer:
    """Drains the outbox of `memory`'s store (see the module docstring)."""

    def __init__(self, memory: Memory, settings: WebhookConfig) -> None:
        self.memory = memory
        self.settings = settings
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll (the app calls it after each
        request that may have written; from the event loop's thread)."""
        self._woken.set()

    async def run(self) -> None:
        """Pass after pass until cancelled; a pass that fails (the store down, say) is logged
        and the next one tries again."""
        async with httpx.AsyncClient(timeout=self.settings.timeout) as client:
            while True:
                try:
                    more = await self.deliver(client)
                except Exception as exc:  # noqa: BLE001 (the loop outlives any one pass)
                    log.warning("webhook delivery pass failed (trying again): %s", exc)
                    more = False
                if not more:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._woken.wait(), self.settings.poll_interval)
                self._woken.clear()

    async def deliver(self, client: httpx.AsyncClient) -> bool:
        """One pass over the due webhooks; whether some had more pending than one batch."""
        due = await self._store(outbox.due_webhooks(time.time()))
        more = await asyncio.gather(*(self._drain(client, webhook) for webhook in due))
        return any(more)

    async def _drain(self, client: httpx.AsyncClient, webhook: dict[str, Any]) -> bool:
        rows = await self._store(outbox.pending(webhook["id"], BATCH))
        failures = int(webhook["failures"] or 0)
        done: list[str] = []  # delivered, removed from the outbox together
        for delivery in rows:
            error = await _post(client, webhook, delivery)
            if error is None:
                done.append(delivery["id"])
                if len(done) == _DONE_BATCH:
                    await self._store(outbox.delivered(done))
                    done = []
                continue
            if done:
                await self._store(outbox.delivered(done))
                done = []
            kind, message = error
            attempts = int(delivery["attempts"] or 0) + 1
            age = time.time() - int(delivery["at"]) / 1e6
            if kind == "refused" or age > self.settings.give_up_after:
                log.warning("webhook %s: delivery %s failed for good: %s",
                            webhook["id"], delivery["id"], message)  # fmt: skip
                await self._store(outbox.attempted(delivery["id"], attempts, message, give_up=True))
                continue
            await self._store(outbox.attempted(delivery["id"], attempts, message, give_up=False))
            failures += 1
            wait = backoff(failures, self.settings)
            log.info("webhook %s failing (%s); next try in %.1f s", webhook["id"], message, wait)
            await self._store(
                outbox.receiver_state(webhook["id"], failures, time.time() + wait, message)
            )
            return False
        if done:
            await self._store(outbox.delivered(done))
        if failures:
            await self._store(outbox.receiver_state(webhook["id"], 0, 0.0, None))
        return len(rows) == BATCH

    async def _store(self, steps: Steps[T]) -> T:
        return await asyncio.to_thread(self.memory.run, steps)


async def _post(
    client: httpx.AsyncClient, webhook: dict[str, Any], delivery: dict[str, Any]
) -> tuple[str, str] | None:
    """Send one delivery: None when delivered, else (its verdict, what went wrong)."""
    body = str(delivery["body"]).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(webhook["secret"], body),
        EVENT_HEADER: delivery["event"],
        DELIVERY_HEADER: delivery["id"],
        WEBHOOK_HEADER: webhook["id"],
    }
    try:
        response = await client.post(webhook["url"], content=body, headers=headers)
    except httpx.HTTPError as exc:
        return "retry", f"{type(exc).__name__}: {exc}"[:_MAX_ERROR]
    kind = verdict(response.status_code)
    if kind == "delivered":
        return None
    return kind, f"HTTP {response.status_code}: {response.text[:_MAX_ERROR]}"

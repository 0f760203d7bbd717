"""The server's background reprocess: every `llm.reprocess_interval` seconds, extract the
episodes that `add` stored while the LLM was unreachable (graphmem/reprocess.py), every
owner's, oldest first. Only with the LLM extractor (nothing else leaves episodes waiting)
and a positive interval.

Run it for as long as the app serves, in the app's lifespan::

    async with reprocessing(memory, config):
        yield

A run that fails is logged and the next one tries again; each add call is extracted in a
transaction of its own, so stopping the server mid-run loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from ..config import MemoryConfig
from ..errors import GraphmemError

if TYPE_CHECKING:
    from ..memory import Memory

log = logging.getLogger(__name__)


@asynccontextmanager
async def reprocessing(memory: Memory, config: MemoryConfig) -> AsyncIterator[None]:
    """Reprocess waiting episodes in the background while the body runs (see above)."""
    interval = config.llm.reprocess_interval if config.extractor == "llm" else 0.0
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(_every(memory, interval))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _every(memory: Memory, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            result = await asyncio.to_thread(memory.reprocess)
        except GraphmemError as exc:
            log.warning("background reprocess failed (next try in %.0f s): %s", interval, exc)
            continue
        if result["reprocessed"] or result["waiting"]:
            log.info("background reprocess: %s", result["message"])

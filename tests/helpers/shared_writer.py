"""A process that opens a shared embedded home and writes facts, for the multi-process tests.

    python -m tests.helpers.shared_writer HOME NAME COUNT ACKS [--at T] [--pause S] [--idle]
                                          [--async]

It opens `Memory` on HOME (test embedder) at wall time T when given, then writes COUNT facts
``NAME-i KNOWS Target`` for user "shared", appending one JSON line per acknowledged write to
ACKS (flushed and fsynced before the next write), with its duration and whether this process
owned the engine at that moment. `--idle` writes nothing: it opens the home, acknowledges that
(``{"ready": true}``), and sleeps until signalled (SIGTERM exits cleanly, as a web worker does).
`--async` writes through `AsyncMemory` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from graphmem import AsyncMemory, Memory
from graphmem.store.embedded import stop_all

from .served import DIMENSIONS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("home")
    parser.add_argument("name")
    parser.add_argument("count", type=int)
    parser.add_argument("acks")
    parser.add_argument("--at", type=float)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--idle", action="store_true")
    parser.add_argument("--async", dest="use_async", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.at:
        time.sleep(max(0.0, args.at - time.time()))
    config = {
        "store": {"home": args.home, "heap": "512m"},
        "embedder": {"provider": "hashing", "dimensions": DIMENSIONS},
    }
    with open(args.acks, "a") as acks:

        def ack(**line: object) -> None:
            acks.write(json.dumps({"pid": os.getpid(), **line}) + "\n")
            acks.flush()
            os.fsync(acks.fileno())

        if args.use_async:
            asyncio.run(write_async(args, config, ack))
        else:
            write(args, config, ack)


def write(args: argparse.Namespace, config: dict[str, Any], ack: Callable[..., None]) -> None:
    with Memory(config) as m:
        ack(ready=True, owner=not m.store.can_take_over)
        if args.idle:
            while True:
                time.sleep(1)
        for i in range(args.count):
            started = time.monotonic()
            m.add_relation(f"{args.name}-{i}", "KNOWS", "Target", user_id="shared")
            ack(
                fact=f"{args.name}-{i}",
                seconds=time.monotonic() - started,
                owner=not m.store.can_take_over,
            )
            time.sleep(args.pause)


async def write_async(
    args: argparse.Namespace, config: dict[str, Any], ack: Callable[..., None]
) -> None:
    async with AsyncMemory(config) as m:
        ack(ready=True, owner=not m.store.can_take_over)
        for i in range(args.count):
            started = time.monotonic()
            await m.add_relation(f"{args.name}-{i}", "KNOWS", "Target", user_id="shared")
            ack(
                fact=f"{args.name}-{i}",
                seconds=time.monotonic() - started,
                owner=not m.store.can_take_over,
            )
            await asyncio.sleep(args.pause)


if __name__ == "__main__":
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    sys.stdout.flush()
    sys.stderr.flush()
    stop_all()
    os._exit(code)

"""A process that only runs the engine of an embedded home, for the process that spawned it.

    python -m graphmem.store.owner HOME HEAP

With `store.start = "process"` (what `graphmem serve` uses), a process that finds no owner of
its home spawns this one and hands it the owner lock: the engine's JVM then never shares the
interpreter and cores of the process that embeds queries and ranks results. Next to them, the
engine's statements have a tail many times longer (`benchmarks/serve_bench.py`). It stops the
engine and exits on SIGTERM, or once the process that spawned it has exited, so a home's
engine never outlives the process it was started for; processes still connected to it take
over (`EmbeddedServer.takeover`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .embedded import EmbeddedServer, stop_all
from .home import OWNER_FD_ENV, OwnerLock

PARENT_POLL = 0.5  # seconds between checks that the spawning process still runs


def spawn_engine(home: Path, lock: OwnerLock, *, heap: str) -> None:
    """Start the engine process of `home`, handing it `lock` (see the module docstring)."""
    (home / "log").mkdir(exist_ok=True)
    with open(home / "log" / "engine.out", "ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "graphmem.store.owner", str(home), heap],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(lock.fd,),
            env={**os.environ, OWNER_FD_ENV: str(lock.fd)},
        )


def main(home: Path, heap: str) -> None:
    """Run the engine until SIGTERM or the parent's exit."""
    parent = os.getppid()
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda sig, _: stopping.append(sig))
    server = EmbeddedServer.acquire(home, heap)
    try:
        while not stopping and os.getppid() == parent:
            time.sleep(PARENT_POLL)
    finally:
        server.release()


if __name__ == "__main__":
    try:
        main(Path(sys.argv[1]), sys.argv[2])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        stop_all()
        os._exit(0)

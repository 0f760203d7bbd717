"""A process that ingests a JSONL file and reports what it found stored, for the crash tests.

    python -m tests.helpers.ingest_child

It imports graphmem, then waits for one JSON line on stdin, ``{"config", "source", "user",
"batch_size"}`` (so a driver can start it ahead of time; at end of input it exits). Then it
opens `Memory` with the JSON configuration file `config` (connecting to the home's engine, or
running it when no process does), prints ``{"before": [...]}``: the contents of the user's
episodes stored when it opened, runs ``Memory.ingest(source, batch_size=batch_size,
infer=False, progress=True)`` and prints ``{"summary": ..., "after": [...]}``. The progress
bar goes to stderr, drawn after every batch when ``TQDM_MININTERVAL=0`` (see
`tests.helpers.crash_ingest`). Every line is flushed at once, so a process killed at any point
has told everything it knew.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

from graphmem import Memory
from graphmem.store.embedded import stop_all

from .exported import episodes


def stored(m: Memory, user: str) -> list[str]:
    """The contents of the user's stored episodes (a multiset, in no particular order)."""
    doc = m.export(user_id=user, include_embeddings=False)
    return [e["content"] for e in episodes(doc)]


def main() -> None:
    line = sys.stdin.readline()
    if not line:
        return
    job = json.loads(line)
    with Memory(json.loads(Path(job["config"]).read_text())) as m:
        print(json.dumps({"before": stored(m, job["user"])}), flush=True)
        summary = m.ingest(job["source"], batch_size=job["batch_size"], infer=False, progress=True)
        print(json.dumps({"summary": summary, "after": stored(m, job["user"])}), flush=True)


if __name__ == "__main__":
    code = 0
    try:
        main()
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    stop_all()
    os._exit(code)  # no interpreter teardown next to the JVM (see graphmem.cli.run)

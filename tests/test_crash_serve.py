"""Kill -9 of `graphmem serve` while REST clients write: after restarts, every write a client
saw acknowledged is stored exactly once, a write whose answer was lost at most once, and no
process of the killed servers is left behind.

A real `graphmem serve` (its engine in a child process of its own), three client threads, two
SIGKILLs: the first restarted at once, the second once the killed server's engine had exited.
`tests/helpers/crash_serve.py` says what is checked; `benchmarks/crash_bench.py` runs 10 kills.
"""

from __future__ import annotations

import os
from pathlib import Path
from random import Random

import pytest

from .helpers.crash_serve import crash_serve

pytestmark = [
    pytest.mark.store,
    pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="embedded store only"),
]

KILLS = 2


def test_kill_the_server_while_clients_write(tmp_path: Path) -> None:
    report = crash_serve(tmp_path, kills=KILLS, rng=Random(23))
    summary = report.summary()
    print(f"\nserve: {summary['acknowledged']} acknowledged, {summary['answers_lost']} answers "
          f"lost, restarts {summary['restart_seconds']} s, old engines exited after "
          f"{summary['engine_exit_seconds']} s")  # fmt: skip
    assert report.problems == []
    assert len(report.kills) == KILLS
    assert sum(report.acked.values()) > report.kills[-1]["acked_before"]  # and went on

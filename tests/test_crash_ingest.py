"""Kill -9 of an ingesting process at random points: every batch it acknowledged is stored in
full, no batch in part, and re-running the ingest completes it with nothing stored twice.

Real child processes (`tests/helpers/ingest_child.py`: `Memory.ingest` in batches of 10,
`infer=False`) SIGKILLed at random moments once they write, on the real engine;
`tests/helpers/crash_ingest.py` says what is checked after each kill and why the progress bar
is an acknowledgement. Two cases: another process runs the engine (this one, the session
store), so the kill drops a client mid-transaction; or the ingester runs the engine itself, so
the kill takes the engine down and the next ingester takes over the home. 20 kill points
between them; `benchmarks/crash_bench.py` runs 100.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from random import Random
from typing import Any

import pytest

from graphmem import Memory

from .helpers.crash_ingest import IngestReport, crash_ingest
from .helpers.served import DIMENSIONS

pytestmark = pytest.mark.store

KILLS_AS_CLIENT = 18
KILLS_AS_OWNER = 2  # each run starts the engine: seconds each


def _config_file(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def _show(case: str, report: IngestReport) -> None:
    summary = report.summary()
    print(f"\n{case}: {summary['kill_points']} kill points in {summary['seconds']} s; "
          f"whole batches stored at each: {summary['batches_stored_at_kill']}")  # fmt: skip


def test_kill_an_ingester_connected_to_another_process_engine(
    server: Memory, config: dict[str, Any], tmp_path: Path
) -> None:
    report = crash_ingest(
        _config_file(tmp_path, config), tmp_path, kills=KILLS_AS_CLIENT, rng=Random(17)
    )
    _show("connected", report)
    assert report.problems == []
    assert len(report.kills) == KILLS_AS_CLIENT
    # The kills landed at many points of the input, some after the run had stored batches.
    assert len(report.batches_at_kill()) >= 4, report.summary()
    assert any(k.stored > k.before for k in report.kills), report.summary()


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="embedded store only")
def test_kill_an_ingester_that_runs_the_engine(tmp_path: Path) -> None:
    config = {
        "store": {"home": str(tmp_path / "home"), "heap": "512m"},
        "embedder": {"provider": "hashing", "dimensions": DIMENSIONS},
    }
    report = crash_ingest(
        _config_file(tmp_path, config), tmp_path, kills=KILLS_AS_OWNER, rng=Random(71)
    )
    _show("engine owner", report)
    assert report.problems == []
    assert len(report.kills) == KILLS_AS_OWNER

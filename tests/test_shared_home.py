"""Many processes share one embedded home: a fresh home opened by several at once, and the
owner of the engine leaving (SIGTERM or SIGKILL) while the others write.

Real processes on the real embedded engine (`tests/helpers/shared_writer.py`). Each prints
its acknowledged writes; the store must hold every one of them, exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers.served import wait_served

pytestmark = [
    pytest.mark.store,
    pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="embedded store only"),
]

ROOT = Path(__file__).resolve().parents[1]
COUNT_FACTS = """
import json, sys
from graphmem import Memory
from graphmem.store.embedded import stop_all
config = {"store": {"home": sys.argv[1], "heap": "512m"},
          "embedder": {"provider": "hashing", "dimensions": 384}}
with Memory(config) as m:
    facts = m.get_all(user_id="shared", page_size=10000)["results"]
    print(json.dumps([f["source"] for f in facts]))
stop_all()
"""


def _writer(home: Path, name: str, count: int, acks: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.shared_writer", str(home), name, str(count)]
        + [str(acks), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _acks(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _stored(home: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_FACTS, str(home)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def _finish(process: subprocess.Popen[str], timeout: float = 240) -> str:
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out
    return out


def test_four_processes_open_a_fresh_home_at_once(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    at = time.time() + 3  # all four open the home at this moment, after their imports
    writers = [
        _writer(home, f"p{n}", 50, tmp_path / f"acks-{n}", "--at", str(at)) for n in range(4)
    ]
    for process in writers:
        _finish(process)
    owners = [a for n in range(4) for a in _acks(tmp_path / f"acks-{n}") if a.get("ready")]
    assert sum(a["owner"] for a in owners) == 1  # one ran the engine, three connected to it
    stored = _stored(home)
    assert len(stored) == 200
    assert sorted(stored) == sorted(f"p{n}-{i}" for n in range(4) for i in range(50))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_others_take_over_when_the_owner_exits(tmp_path: Path, sig: int) -> None:
    home = tmp_path / "home"
    owner_acks = tmp_path / "acks-owner"
    owner = _writer(home, "owner", 0, owner_acks, "--idle")
    deadline = time.monotonic() + 120
    while not _acks(owner_acks):
        assert owner.poll() is None and time.monotonic() < deadline, "the owner did not start"
        time.sleep(0.1)
    assert _acks(owner_acks)[0]["owner"]
    writers = [  # the third writes through AsyncMemory
        _writer(home, f"w{n}", 40, tmp_path / f"acks-{n}", "--pause", "0.05", *async_)
        for n, async_ in enumerate([(), (), ("--async",)])
    ]
    while min(len(_acks(tmp_path / f"acks-{n}")) for n in range(3)) < 10:  # all writing
        assert all(w.poll() is None for w in writers), "a writer died before the kill"
        time.sleep(0.05)
    owner.send_signal(sig)
    owner.wait(timeout=60)
    outputs = [_finish(w) for w in writers]
    acks = [a for n in range(3) for a in _acks(tmp_path / f"acks-{n}") if "fact" in a]
    assert len(acks) == 120, outputs  # every call succeeded: no error reached a writer
    stored = _stored(home)
    assert sorted(stored) == sorted(a["fact"] for a in acks)  # all there, none twice
    new_owners = {a["pid"] for a in acks if a["owner"]}
    assert new_owners  # a writer became the owner; the others followed it
    # A successor that finishes its writes first exits and hands over again: ownership moves
    # only when its holder exits, so a writer that became the owner stays it to its end.
    for n in range(3):
        flags = [a["owner"] for a in _acks(tmp_path / f"acks-{n}") if "fact" in a]
        assert flags == sorted(flags), f"writer {n} lost the engine it owned: {flags}"
    takeover = max(a["seconds"] for a in acks)  # the write that waited for the new owner
    print(f"\n{signal.Signals(sig).name}: takeover within one write call of {takeover:.1f} s")
    assert takeover < 30


OPEN_IN_BACKGROUND = """
import json, sys
from graphmem import Memory
config = {"store": {"home": sys.argv[1], "heap": "512m", "start": "background"},
          "embedder": {"provider": "hashing", "dimensions": 384}}
with Memory(config) as m:
    m.add_relation("Ida", "LIVES_IN", "Berlin", user_id="shared")
    print(json.dumps({"engine_here": not m.store.can_take_over}))
"""


def test_background_start_spawns_graphmem_serve_as_the_owner(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-c", OPEN_IN_BACKGROUND, str(home)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"engine_here": False}  # the engine runs elsewhere
    engine = json.loads((home / "server.json").read_text())["pid"]
    assert "graphmem.store.owner" in Path(f"/proc/{engine}/cmdline").read_text()
    owner = int(Path(f"/proc/{engine}/stat").read_text().split(") ")[1].split()[1])
    try:
        assert "serve" in Path(f"/proc/{owner}/cmdline").read_text()  # its parent: serve
        url = wait_served(home, _Pid(owner))  # which serves the REST API
        token = (home / "token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        found = httpx.get(f"{url}/memories", params={"user_id": "shared"}, headers=headers)
        assert [m["memory"] for m in found.json()["results"]] == ["Ida lives in Berlin"]
    finally:
        os.kill(owner, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{p}").exists() for p in (owner, engine)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (home / "server.json").exists() and not (home / "serve.json").exists()


class _Pid:
    """A process this test did not start, as `wait_served` polls it."""

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        return None if Path(f"/proc/{self.pid}").exists() else 1

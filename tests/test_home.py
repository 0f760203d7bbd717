"""The embedded home's files without an engine: first writer wins, one owner at a time, the
lock handed to a spawned owner, stale announcements ignored, writes serialized."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graphmem.store import home as homes
from graphmem.store.home import OWNER_FD_ENV, OwnerLock, ServerInfo


def test_create_once_keeps_the_first_writers_data(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(lambda n: homes.create_once(path, {"n": n}), range(32)))
    assert len({s["n"] for s in seen}) == 1  # every caller got the one file's data
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["credentials.json"]  # no temp files left


def test_one_owner_at_a_time_and_the_lock_frees_on_release(tmp_path: Path) -> None:
    first = OwnerLock.try_acquire(tmp_path)
    assert first is not None
    assert OwnerLock.try_acquire(tmp_path) is None  # another open file: refused, not waiting
    first.release()
    again = OwnerLock.try_acquire(tmp_path)
    assert again is not None
    again.release()


def test_a_handed_over_lock_is_adopted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = OwnerLock.try_acquire(tmp_path)
    assert held is not None
    monkeypatch.setenv(OWNER_FD_ENV, str(held.fd))
    adopted = OwnerLock.try_acquire(tmp_path)
    assert adopted is not None and adopted.fd == held.fd
    assert OWNER_FD_ENV not in os.environ
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv(OWNER_FD_ENV, str(held.fd))  # a descriptor of another home's lock
    theirs = OwnerLock.try_acquire(other)
    assert theirs is not None and theirs.fd != held.fd
    theirs.release()
    held.release()


def test_live_owner_ignores_this_process_dead_pids_and_closed_ports(tmp_path: Path) -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        parent = os.getppid()  # alive, and not this process
        homes.publish(tmp_path, ServerInfo(parent, port, port))
        assert homes.live_owner(tmp_path) == ServerInfo(parent, port, port)
        homes.publish(tmp_path, ServerInfo(os.getpid(), port, port))
        assert homes.live_owner(tmp_path) is None
        homes.withdraw(tmp_path)  # names this process: removed
        assert not (tmp_path / "server.json").exists()
        (tmp_path / "server.json").write_text(json.dumps({"pid": 2**22 + 1, "bolt_port": port}))
        assert homes.live_owner(tmp_path) is None  # malformed and dead
    homes.publish(tmp_path, ServerInfo(parent, port, port))
    assert homes.live_owner(tmp_path) is None  # nothing listens any more


def test_write_lock_serializes_threads(tmp_path: Path) -> None:
    lock, inside, most = homes.WriteLock(tmp_path), [0], [0]
    guard = threading.Lock()

    def work() -> None:
        with lock:
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.002)
            with guard:
                inside[0] -= 1

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: work(), range(30)))
    lock.close()
    assert most[0] == 1

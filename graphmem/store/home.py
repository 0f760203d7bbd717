"""The embedded store's home folder: who owns it, how to reach it, and its secrets.

Every process that opens a home agrees through these files, and none of them can be left
half-written:

- `credentials.json`: the engine's root password, made once (`create_once`: of processes
  racing on a fresh home, the first writer wins and every other reads its file);
- `owner.lock`: held with `fcntl.flock` by the one process that runs the engine; the OS
  releases it when that process exits, however it exits, so a new owner can take over;
- `server.json`: the owner's pid and ports, replaced atomically once its engine answers;
- `schema.lock`: held around schema work, so processes never create the same index at once;
- `write.lock`: held around each write transaction (`WriteLock`).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
# Set by a process that spawns `graphmem serve` as the owner: the open owner lock it hands over.
OWNER_FD_ENV = "GRAPHMEM_OWNER_LOCK_FD"


def write_private(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` with `data` as JSON, mode 0600, atomically (readers see old or new)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def create_once(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Create `path` (0600) holding `data` unless it exists; return what the file holds.

    The file appears complete or not at all (written aside, then hard-linked into place), so
    processes racing on it all end up with the first one's data."""
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return dict(json.loads(path.read_text()))


def credentials(home: Path) -> str:
    """The engine's root password for this folder, created once, owner-readable only."""
    made = {"user": "root", "password": secrets.token_urlsafe(24)}
    return str(create_once(home / "credentials.json", made)["password"])


class OwnerLock:
    """The exclusive right to run the engine of one home (see the module docstring)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def try_acquire(cls, home: Path) -> OwnerLock | None:
        """The lock if no other process holds it (never waits), else None."""
        handed = _handed_over(home)
        if handed is not None:
            return handed
        fd = os.open(home / "owner.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(fd)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd = -1


def _handed_over(home: Path) -> OwnerLock | None:
    """The owner lock a spawning process passed to this one, if it is this home's."""
    value = os.environ.get(OWNER_FD_ENV)
    if not value:
        return None
    try:
        fd = int(value)
        same = os.path.samestat(os.fstat(fd), os.stat(home / "owner.lock"))
    except (ValueError, OSError):
        return None
    if not same:
        return None
    del os.environ[OWNER_FD_ENV]
    return OwnerLock(fd)


@dataclass(frozen=True)
class ServerInfo:
    """What `server.json` says about the owner: its pid and ports."""

    pid: int
    bolt_port: int
    http_port: int


def publish(home: Path, info: ServerInfo) -> None:
    """Announce this process as the owner (after its engine answers)."""
    write_private(home / "server.json", info.__dict__)


def withdraw(home: Path) -> None:
    """Remove `server.json` if it names this process."""
    found = _read_server(home)
    if found is not None and found.pid == os.getpid():
        (home / "server.json").unlink(missing_ok=True)


def live_owner(home: Path) -> ServerInfo | None:
    """The owner announced in `server.json` when it is another live process whose Bolt port
    answers; None when there is none (absent, stale, this process, or not answering)."""
    info = _read_server(home)
    if info is None or info.pid == os.getpid():
        return None
    try:
        os.kill(info.pid, 0)  # raises if no such process
        with socket.create_connection((HOST, info.bolt_port), timeout=2):
            pass
    except OSError:
        return None
    return info


def _read_server(home: Path) -> ServerInfo | None:
    try:
        data = json.loads((home / "server.json").read_text())
        return ServerInfo(int(data["pid"]), int(data["bolt_port"]), int(data["http_port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def schema_lock(home: Path) -> Iterator[None]:
    """Hold the home's schema lock (waiting for it) for the duration of the block."""
    fd = os.open(home / "schema.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class WriteLock:
    """Serializes the write transactions of every thread and process using one home (the
    embedded engine can fail concurrent writers, see `dialect.is_retryable`). A context
    manager; `close` when the store closes."""

    def __init__(self, home: Path) -> None:
        self._fd = os.open(home / "write.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self._thread = threading.Lock()

    def __enter__(self) -> None:
        self._thread.acquire()
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread.release()
            raise

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread.release()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

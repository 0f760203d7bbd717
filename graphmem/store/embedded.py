"""The embedded graph server: ArcadeDB speaking Bolt on loopback, shared by every process.

One process owns a home folder's engine at a time (it holds the home's owner lock, see
`graphmem.store.home`); every other process connects to it over Bolt. `EmbeddedServer.acquire`
connects to the live owner, or becomes the owner: it starts the engine in this process, or
(`start="background"`) spawns `graphmem serve` to own it. Any number of processes can open a
fresh home at once. When the owner exits, however it exits, `takeover` gives a connected
process the new owner (another process, or itself) within `timeout` seconds.

In one process, servers are shared and reference-counted per home (the JVM starts once and
cannot restart); the last `release` of an owned engine stops it and withdraws `server.json`.
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib import error, request

from ..errors import StoreError, StoreLockedError
from . import collector
from . import home as homes
from .home import HOST, OwnerLock, ServerInfo

log = logging.getLogger(__name__)

DATABASE = "graphmem"
_BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
_JVM_NOISE = ("WARNING: Using incubator modules",)
_lock = threading.Lock()
_servers: dict[Path, EmbeddedServer] = {}
# Spawns the owner process of a home: `(home, owner_lock)`, the lock to hand over to it.
Spawn = Callable[[Path, OwnerLock], None]


@dataclass
class Endpoint:
    """How to reach a running embedded server."""

    bolt_port: int
    http_port: int
    user: str
    password: str

    @property
    def bolt_uri(self) -> str:
        return f"bolt://{HOST}:{self.bolt_port}"

    def sql(self, command: str, language: str = "sql") -> list[dict[str, Any]]:
        """Run one SQL command (or, with language "sqlscript", several) through ArcadeDB's
        HTTP API (used only for schema DDL and reading the schema)."""
        body = json.dumps({"language": language, "command": command}).encode()
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req = request.Request(
            f"http://{HOST}:{self.http_port}/api/v1/command/{DATABASE}",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
        )
        try:
            with request.urlopen(req, timeout=120) as resp:
                return json.loads(resp.read())["result"]
        except error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise StoreError(f"embedded SQL failed: {command!r}: {detail}") from exc
        except OSError as exc:
            raise StoreError(f"embedded SQL failed: {command!r}: {exc}") from exc


class EmbeddedServer:
    """A reference-counted ArcadeDB server of this process, or a connection to the owner's."""

    def __init__(
        self,
        home: Path,
        endpoint: Endpoint,
        java_server: Any | None = None,
        owner_lock: OwnerLock | None = None,
    ) -> None:
        self.home = home
        self.endpoint = endpoint
        self._java_server = java_server
        self._owner_lock = owner_lock
        self._refs = 0

    @property
    def owned(self) -> bool:
        """Whether this process runs the engine (others connect to it)."""
        return self._java_server is not None

    @classmethod
    def acquire(
        cls, home: Path, heap: str, *, timeout: float = 30.0, spawn: Spawn | None = None
    ) -> EmbeddedServer:
        """The server for `home`: this process's, the live owner's, or a new one (started
        here, or by `spawn` when given). StoreLockedError after `timeout` seconds with no
        owner that answers."""
        home = home.expanduser().resolve()
        with _lock:
            server = _servers.get(home)
            if server is None:
                server = _connect_or_start(home, heap, timeout, spawn)
                _servers[home] = server
            server._refs += 1
            return server

    def takeover(
        self, heap: str, *, timeout: float = 30.0, spawn: Spawn | None = None
    ) -> EmbeddedServer:
        """After the owner stopped answering: drop this connection and acquire the home's
        server anew (the new owner's, or one started here). Idempotent across threads: a
        caller whose server was already replaced gets the replacement."""
        with _lock:
            current = _servers.get(self.home)
            if current is not None and current is not self:
                current._refs += 1
                self._refs -= 1
                return current
            if self.owned:
                raise StoreError(f"the embedded store in {self.home} stopped in this process")
            _servers.pop(self.home, None)
        started = time.monotonic()
        replacement = EmbeddedServer.acquire(self.home, heap, timeout=timeout, spawn=spawn)
        log.warning(
            "embedded store in %s: the owner went away; %s after %.1f s",
            self.home,
            "this process owns it now" if replacement.owned else "connected to the new owner",
            time.monotonic() - started,
        )
        with _lock:
            self._refs -= 1
        return replacement

    def release(self) -> None:
        """Drop one reference; the last one stops an owned server and gives up ownership."""
        with _lock:
            self._refs -= 1
            if self._refs > 0:
                return
            if _servers.get(self.home) is self:
                _servers.pop(self.home)
            self._stop()

    def _stop(self) -> None:
        """Withdraw the announcement, stop the engine, then free the lock for a new owner."""
        if self._java_server is not None:
            homes.withdraw(self.home)
            self._java_server.stop()
            self._java_server = None
        if self._owner_lock is not None:
            self._owner_lock.release()
            self._owner_lock = None


def _connect_or_start(home: Path, heap: str, timeout: float, spawn: Spawn | None) -> EmbeddedServer:
    """Connect to the live owner of `home`, or become the owner (or spawn one) when the owner
    lock is free; wait while another process is starting."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    user, password = "root", homes.credentials(home)
    deadline = time.monotonic() + timeout
    spawned = False
    while True:
        running = homes.live_owner(home)
        if running is not None:
            log.info("embedded store in %s is served by pid %d", home, running.pid)
            return EmbeddedServer(
                home, Endpoint(running.bolt_port, running.http_port, user, password)
            )
        lock = None if spawned else OwnerLock.try_acquire(home)
        if lock is not None:
            if spawn is None:
                return _start(home, heap, password, lock)
            spawn(home, lock)  # the child holds the lock now
            lock.release()
            spawned = True
        if time.monotonic() > deadline:
            raise StoreLockedError(
                f"the graphmem data folder {home} is locked by another process that does not "
                f"answer (waited {timeout:.0f} s); stop that process, or use a different "
                "GRAPHMEM_HOME"
            )
        time.sleep(0.05)


def _start(home: Path, heap: str, password: str, lock: OwnerLock) -> EmbeddedServer:
    """Start the engine in this process (which holds the owner lock) and announce it."""
    try:
        _start_jvm(home, heap)
        import arcadedb_embedded as adb

        bolt_port, http_port = _free_port(), _free_port()
        server = adb.create_server(
            str(home / "arcadedb"),
            root_password=password,
            config={
                "host": HOST,
                "http_port": http_port,
                "server_plugins": _BOLT_PLUGIN,
                "bolt_port": bolt_port,
            },
        )
        try:
            server.start()
        except Exception as exc:
            raise StoreError(f"cannot start the embedded store in {home}: {exc}") from exc
        try:
            server.create_database(DATABASE)  # get-or-create
        except Exception as exc:
            server.stop()
            raise StoreError(f"cannot open the embedded database in {home}: {exc}") from exc
    except BaseException:
        lock.release()
        raise
    homes.publish(home, ServerInfo(os.getpid(), bolt_port, http_port))
    log.info("embedded store started in %s (bolt port %d)", home, bolt_port)
    collector.settle()
    endpoint = Endpoint(bolt_port, http_port, "root", password)
    return EmbeddedServer(home, endpoint, server, lock)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start_jvm(home: Path, heap: str) -> None:
    """Start the JVM once per process, logging to <home>/log instead of the working directory."""
    import jpype
    import jpype.config
    from arcadedb_embedded.jvm import start_jvm

    if jpype.isJVMStarted():
        return
    log_dir = home / "log"
    log_dir.mkdir(exist_ok=True)
    props = home / "logging.properties"
    props.write_text(
        "handlers = java.util.logging.FileHandler\n"
        ".level = WARNING\n"
        f"java.util.logging.FileHandler.pattern = {log_dir}/arcadedb-%g.log\n"
        "java.util.logging.FileHandler.limit = 10000000\n"
        "java.util.logging.FileHandler.count = 3\n"
        "java.util.logging.FileHandler.formatter = java.util.logging.SimpleFormatter\n"
    )
    args = [
        f"-Djava.util.logging.config.file={props}",
        f"-XX:ErrorFile={log_dir}/hs_err_pid%p.log",  # JVM crash reports: not in the cwd
        "--sun-misc-unsafe-memory-access=allow",
    ]
    with _filtered_stderr():
        start_jvm(heap_size=heap, jvm_args=args)
    # Registered after JPype's own exit hook, so it runs first: a server still running when
    # the JVM shuts down would keep the process from exiting.
    atexit.register(stop_all)
    # With the servers stopped, destroying the JVM gains nothing, and JPype's DestroyJavaVM
    # segfaults or hangs at exit when torch/spaCy are loaded in the same process (seen here).
    jpype.config.destroy_jvm = False


def stop_all() -> None:
    """Stop every embedded server of this process (at exit, or before a hard exit)."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server._stop()
    _stop_reference_queue()


def _stop_reference_queue() -> None:
    """Stop JPype's reference-queue thread, a Java thread that calls into Python to release
    objects. JPype stops it only when it destroys the JVM, which graphmem does not do (see
    `_start_jvm`); left running, it can take the GIL while Python finalizes and abort the
    process ("FATAL: exception not rethrown")."""
    import jpype

    if jpype.isJVMStarted():
        try:
            jpype.JClass("org.jpype.ref.JPypeReferenceQueue").getInstance().stop()
        except Exception as exc:  # best effort, at exit
            log.debug("could not stop JPype's reference queue: %s", exc)


class _filtered_stderr:
    """Hide the JVM's known start-up warnings; pass anything else through to stderr."""

    def __enter__(self) -> None:
        sys.stderr.flush()
        self._saved = os.dup(2)
        self._tmp = tempfile.TemporaryFile()
        os.dup2(self._tmp.fileno(), 2)

    def __exit__(self, *exc: object) -> None:
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._tmp.seek(0)
        for line in self._tmp.read().decode(errors="replace").splitlines():
            if line and not line.startswith(_JVM_NOISE):
                print(line, file=sys.stderr)
        self._tmp.close()

"""The embedded graph server: ArcadeDB started in-process, speaking Bolt on loopback.

One server per data folder per process (the JVM starts once and cannot restart, so servers are
shared and reference-counted). Credentials are random and kept in `<home>/credentials.json`
(0600). A second process that finds the folder locked connects to the running server through
`<home>/server.json` when it answers, and otherwise gets a clear StoreLockedError.
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import os
import secrets
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib import error, request

from ..errors import StoreError, StoreLockedError

log = logging.getLogger(__name__)

DATABASE = "graphmem"
HOST = "127.0.0.1"
_BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
_JVM_NOISE = ("WARNING: Using incubator modules",)
_lock = threading.Lock()
_servers: dict[Path, EmbeddedServer] = {}


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


class EmbeddedServer:
    """A reference-counted ArcadeDB server (or a connection to another process's)."""

    def __init__(self, home: Path, endpoint: Endpoint, java_server: Any | None) -> None:
        self.home = home
        self.endpoint = endpoint
        self._java_server = java_server
        self._refs = 0

    @classmethod
    def acquire(cls, home: Path, heap: str) -> EmbeddedServer:
        """Start (or share) the server for `home`."""
        home = home.expanduser().resolve()
        with _lock:
            server = _servers.get(home)
            if server is None:
                server = _start(home, heap)
                _servers[home] = server
            server._refs += 1
            return server

    def release(self) -> None:
        """Drop one reference; the last one stops the server and removes server.json."""
        with _lock:
            self._refs -= 1
            if self._refs > 0:
                return
            _servers.pop(self.home, None)
            if self._java_server is not None:
                self._java_server.stop()
                (self.home / "server.json").unlink(missing_ok=True)


def _start(home: Path, heap: str) -> EmbeddedServer:
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    user, password = "root", _credentials(home)
    running = _running_server(home)
    if running is not None:  # another process serves this folder: use it, no JVM needed here
        return EmbeddedServer(home, Endpoint(*running, user, password), None)
    _start_jvm(home, heap)
    import arcadedb_embedded as adb
    from arcadedb_embedded.exceptions import ArcadeDBError

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
    except ArcadeDBError as exc:
        if "locked by another process" not in str(exc):
            raise StoreError(f"cannot start the embedded store in {home}: {exc}") from exc
        return EmbeddedServer(home, _running_endpoint(home, user, password), None)
    try:
        server.create_database(DATABASE)  # get-or-create
    except Exception as exc:
        server.stop()
        raise StoreError(f"cannot open the embedded database in {home}: {exc}") from exc
    _write_private(
        home / "server.json",
        {"pid": os.getpid(), "bolt_port": bolt_port, "http_port": http_port},
    )
    log.info("embedded store started in %s (bolt port %d)", home, bolt_port)
    return EmbeddedServer(home, Endpoint(bolt_port, http_port, user, password), server)


def _running_server(home: Path) -> tuple[int, int] | None:
    """(bolt, http) ports of another live process serving `home`, if its server answers."""
    try:
        info = json.loads((home / "server.json").read_text())
        pid, bolt, http = int(info["pid"]), int(info["bolt_port"]), int(info["http_port"])
        if pid == os.getpid():
            return None
        os.kill(pid, 0)  # raises if no such process
        with socket.create_connection((HOST, bolt), timeout=2):
            pass
    except (OSError, ValueError, KeyError):
        return None
    log.info("embedded store in %s is served by pid %d; connecting to it", home, pid)
    return bolt, http


def _running_endpoint(home: Path, user: str, password: str) -> Endpoint:
    """The folder is locked: connect to the process holding it, or explain."""
    running = _running_server(home)
    if running is None:
        raise StoreLockedError(
            f"the graphmem data folder {home} is locked by another process that cannot be "
            "reached; stop that process, or use a different GRAPHMEM_HOME"
        )
    return Endpoint(*running, user, password)


def _credentials(home: Path) -> str:
    """The root password for this folder, created once and kept owner-readable only."""
    file = home / "credentials.json"
    if file.exists():
        return str(json.loads(file.read_text())["password"])
    password = secrets.token_urlsafe(24)
    _write_private(file, {"user": "root", "password": password})
    return password


def _write_private(path: Path, data: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.chmod(path, 0o600)


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
        if server._java_server is not None:
            server._java_server.stop()
            (server.home / "server.json").unlink(missing_ok=True)
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

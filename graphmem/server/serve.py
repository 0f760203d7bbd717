"""Run `graphmem serve`, and tell whether a home's server runs (`status`).

`serve(config)`:

1. logs to `<home>/log/serve.log` and stderr, and warns when the host is not loopback while
   no token is required;
2. binds `server.host:server.port` (port 0: a free port), so a busy port is a `ConfigError`;
3. opens `Memory(config)` with `store.start = "process"`: it connects to the home's running
   engine, or starts one in a child process of its own (`graphmem.store.owner`: the JVM
   never shares this process's cores with the models), or connects to Neo4j;
4. serves `create_app(...)` with uvicorn and, once it answers, writes `<home>/serve.json`
   (`graphmem.server.runfile`);
5. on SIGTERM or SIGINT, stops taking connections and lets requests in flight finish (up to
   `GRACE` seconds), removes serve.json if it still names this process, closes the Memory,
   and returns (so the process exits 0).

Web framework, server and store are imported when `serve` runs, so `status` stays light.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import logging.config
import os
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MemoryConfig
from ..errors import ConfigError, GraphmemError
from . import runfile
from .runfile import ServeInfo, home_of

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)

GRACE = 10  # seconds requests in flight get to finish after SIGTERM
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def serve(config: MemoryConfig) -> None:
    """Serve the memory of `config` until SIGTERM or SIGINT (see the module docstring)."""
    import uvicorn

    from ..memory import Memory
    from .rest import create_app
    from .scoping import ScopePolicy

    home = home_of(config)
    _configure_logging(home)
    settings = config.server
    policy = ScopePolicy.from_config(settings)
    if not settings.require_token and not _loopback(settings.host):
        log.warning(
            "serving %s with no token (require_token=false): anyone who reaches this address "
            "can read and change every memory the server acts for",
            settings.host,
        )
    sock = _bind(settings.host, settings.port)
    try:
        owner = config.model_copy(
            update={"store": config.store.model_copy(update={"start": "process"})}
        )
        with Memory(owner) as memory:
            app = create_app(memory, policy, config)
            uvicorn_config = uvicorn.Config(
                app, log_config=None, timeout_graceful_shutdown=GRACE, lifespan="on"
            )
            server = uvicorn.Server(uvicorn_config)
            previous = {sig: signal.signal(sig, _ignore) for sig in _SIGNALS}
            try:
                started = asyncio.run(_serve(server, sock, home))
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
    finally:
        sock.close()
    if not started:
        raise GraphmemError(f"graphmem serve did not start; see {home / 'log' / 'serve.log'}")
    log.info("graphmem serve stopped")


def status(home: Path) -> dict[str, Any]:
    """Whether the server of `home` runs: ``{"running": True, "pid", "url", "host", "port",
    "health"}`` when serve.json names a live process that answers /health, else
    ``{"running": False, "message"}``."""
    from ..client import health

    info = runfile.running(home)
    if info is None:
        return {"running": False, "home": str(home), "message": "not running"}
    answer = health(info.url)
    if answer is None:
        message = f"pid {info.pid} does not answer at {info.url}"
        return {"running": False, "home": str(home), "message": message}
    return {"running": True, "home": str(home), **info.__dict__, "health": answer}


async def _serve(server: uvicorn.Server, sock: socket.socket, home: Path) -> bool:
    """Run uvicorn on `sock`, announcing it in serve.json while it answers; whether it
    started. uvicorn handles SIGTERM / SIGINT while it runs (a graceful shutdown)."""
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if server.started:
        host, port = sock.getsockname()[:2]
        info = ServeInfo(os.getpid(), _url(host, port), host, port)
        runfile.publish(home, info)
        log.info("graphmem serve listening on %s (pid %d, home %s)", info.url, info.pid, home)
    try:
        await serving
    finally:
        runfile.withdraw(home, os.getpid())
    return bool(server.started)


def _bind(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port` (uvicorn listens on it)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc}") from exc
    return sock


def _url(host: str, port: int) -> str:
    """The URL clients on this machine use (an address for every interface: loopback)."""
    address = ipaddress.ip_address(host)
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    text = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{text}:{port}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ignore(sig: int, frame: Any) -> None:
    """While serving, uvicorn has its own handlers; it signals itself again once it has
    stopped, which this handler turns into nothing (the shutdown is already under way)."""


def _configure_logging(home: Path) -> None:
    """graphmem's and uvicorn's logs to `<home>/log/serve.log` and stderr."""
    (home / "log").mkdir(parents=True, exist_ok=True)
    target = {"handlers": ["file", "stderr"], "level": "INFO", "propagate": False}
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": str(home / "log" / "serve.log"),
                    "formatter": "plain",
                },
                "stderr": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stderr",
                    "formatter": "plain",
                },
            },
            "loggers": {"graphmem": target, "uvicorn": target},
        }
    )

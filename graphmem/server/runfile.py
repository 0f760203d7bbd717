"""`<home>/serve.json`: where the `graphmem serve` of a home listens.

`graphmem serve` writes ``{"pid", "url", "host", "port"}`` there once it answers (replaced
atomically, so a reader sees a whole file or none) and removes it when it stops, if the file
still names it. Clients (`graphmem.client`, the CLI) read it to find the server of a home.
The home is the embedded store's folder, also when the store is Neo4j: it is where a
server's files live.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import MemoryConfig, default_home
from ..store.home import write_private

FILE = "serve.json"


@dataclass(frozen=True)
class ServeInfo:
    """What serve.json says: the server's pid and where it listens."""

    pid: int
    url: str
    host: str
    port: int


def home_of(config: MemoryConfig) -> Path:
    """The home folder of a configuration: `store.home`, else `default_home()`."""
    return Path(config.store.home).expanduser() if config.store.home else default_home()


def store_kind(config: MemoryConfig) -> str:
    """What a server of this configuration says it serves (`/health`'s "store")."""
    return "neo4j" if config.store.uri else "embedded"


def publish(home: Path, info: ServeInfo) -> None:
    """Write serve.json (atomically) for this server."""
    home.mkdir(parents=True, exist_ok=True)
    write_private(home / FILE, asdict(info))


def withdraw(home: Path, pid: int) -> None:
    """Remove serve.json if it still names `pid` (a newer server's file stays)."""
    found = read(home)
    if found is not None and found.pid == pid:
        (home / FILE).unlink(missing_ok=True)


def read(home: Path) -> ServeInfo | None:
    """serve.json of `home`, or None when it is absent or unreadable."""
    try:
        data = json.loads((home / FILE).read_text())
        return ServeInfo(int(data["pid"]), str(data["url"]), str(data["host"]), int(data["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running(home: Path) -> ServeInfo | None:
    """serve.json of `home` when the process it names is alive, else None."""
    info = read(home)
    if info is None:
        return None
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        pass
    return info

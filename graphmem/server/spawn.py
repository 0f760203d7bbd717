"""Start `graphmem serve` in the background as the owner of an embedded home.

Used by `Memory()` when `store.start` is "background" and no process owns the home yet: the
caller holds the home's owner lock and hands it to the child, so no third process can start
an engine in between. The child serves the caller's configuration (written to the home,
mode 0600, secrets included) for any scope (`allow_user_id`; the token stays in the home), on
a free port, and logs to `<home>/log/serve.out`; it runs the engine in a child of its own.
`spawn_serve` returns once the server announces its REST API, so clients find it at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..config import MemoryConfig
from ..errors import StoreError
from ..store.home import OWNER_FD_ENV, OwnerLock, write_private
from . import runfile


def spawn_serve(config: MemoryConfig, home: Path, lock: OwnerLock) -> None:
    """Spawn the owner process of `home` with this configuration (see the module docstring)."""
    data = _revealed(config.model_dump())
    data["store"].update(home=str(home), start="process")
    data["server"].update(port=0, allow_user_id=True)
    config_file = home / "serve-config.json"
    write_private(config_file, data)
    (home / "log").mkdir(exist_ok=True)
    with open(home / "log" / "serve.out", "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "graphmem.cli", "--config", str(config_file), "serve"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the process that spawned it
            pass_fds=(lock.fd,),
            env={**os.environ, OWNER_FD_ENV: str(lock.fd)},
        )
    _wait_served(home, child, config.store.takeover_timeout)


def _wait_served(home: Path, child: subprocess.Popen[bytes], timeout: float) -> None:
    """Return once the spawned server announces itself in serve.json (so a `MemoryClient`
    finds it as soon as `Memory()` returns); StoreError if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = runfile.read(home)
        if found is not None and found.pid == child.pid:
            return
        if child.poll() is not None:
            break
        time.sleep(0.05)
    raise StoreError(
        f"the graphmem serve spawned for {home} did not start within {timeout:.0f} s; see "
        f"{home / 'log' / 'serve.out'}"
    )


def _revealed(value: Any) -> Any:
    """A `model_dump()` as JSON data with secrets in clear (for a 0600 file only)."""
    if isinstance(value, dict):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_revealed(item) for item in value]
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Path):
        return str(value)
    return value

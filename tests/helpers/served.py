"""A real `graphmem serve` process for tests: started on a free port in its own home folder.

The contract of `graphmem serve` that this relies on: once it answers, `<home>/serve.json`
holds ``{"pid", "url", "host", "port"}`` (written atomically), the bearer token is in
`<home>/token` (mode 0600) unless one is configured, and `GET <url>/health` answers 200
without a token.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# The test configuration of a served store: the deterministic embedder (as tests/conftest.py).
DIMENSIONS = 384


@dataclass
class Served:
    """A running `graphmem serve`: its URL, token, home, config file and process."""

    url: str
    token: str
    home: Path
    config: Path
    process: subprocess.Popen[bytes]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Signal the server and wait for it to exit; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def write_config(home: Path, sections: dict[str, Any] | None = None, **server: Any) -> Path:
    """A config file for a store in `home` with the test embedder, these server settings and
    these other config `sections` (e.g. ``{"webhooks": {...}}``)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home.parent / f"{home.name}-config.json"
    data = {
        "store": {"home": str(home), "heap": "512m"},
        "embedder": {"provider": "hashing", "dimensions": DIMENSIONS},
        "server": {"port": 0, **server},
        **(sections or {}),
    }
    path.write_text(json.dumps(data))
    return path


def wait_served(home: Path, process: subprocess.Popen[bytes], timeout: float = 120) -> str:
    """The URL of the server in `home` once its /health answers (fails if it exits first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"graphmem serve exited with {process.returncode}")
        try:
            info = json.loads((home / "serve.json").read_text())
            if info.get("pid") == process.pid:
                url = str(info["url"])
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    return url
        except (OSError, ValueError, KeyError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"graphmem serve did not answer within {timeout} s")


def start(
    config: Path, home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `graphmem serve --config <config> *args` (output appended to `<home>-serve.out`);
    `wait_served` tells when it answers."""
    with open(home.parent / f"{home.name}-serve.out", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "graphmem.cli", "--config", str(config), "serve", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )


@contextmanager
def served(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    sections: dict[str, Any] | None = None,
    **server: Any,
) -> Iterator[Served]:
    """Run `graphmem serve --config <file> *args` until the block ends (then SIGTERM)."""
    config = write_config(home, sections, **server)
    process = start(config, home, *args, env=env)
    try:
        url = wait_served(home, process)
        token = server.get("token") or (home / "token").read_text().strip()
        yield Served(url, token, home, config, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def command(served: Served, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run one `graphmem` command against the served home's config."""
    return subprocess.run(
        [sys.executable, "-m", "graphmem.cli", "--config", str(served.config), *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )

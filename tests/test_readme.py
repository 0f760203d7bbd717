"""Every python block of the README runs as written (against a fresh embedded store, with the
hashing embedder); the first one's output is checked line by line."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)

pytestmark = pytest.mark.store  # each block runs in a child process that opens a store


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One store for all the blocks, as for a reader who runs them one after another; the
    `graphmem serve` that a block starts in the background is stopped at the end."""
    home = tmp_path_factory.mktemp("readme-home")
    yield home
    with contextlib.suppress(OSError, ValueError, KeyError):
        os.kill(json.loads((home / "serve.json").read_text())["pid"], signal.SIGTERM)


def _run(block: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRAPHMEM_HOME": str(home), "GRAPHMEM_EMBEDDER": "hashing"}
    env.pop("NEO4J_URI", None)
    return subprocess.run(
        [sys.executable, "-c", block],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_readme_library_example_runs(home: Path, tmp_path: Path) -> None:
    assert BLOCKS, "README has no python example"
    run = _run(BLOCKS[0], home, tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Alice works at Globex 2024-08-01")
    assert lines[1].startswith("alice lives in Berlin")  # extracted from the message
    assert lines[2:] == [
        "ADD None -> Alice works at Acme",
        "UPDATE Alice works at Acme -> Alice works at Globex",
    ]


@pytest.mark.parametrize("index", range(1, len(BLOCKS)), ids=lambda i: f"block{i}")
def test_every_readme_block_runs(index: int, home: Path, tmp_path: Path) -> None:
    """Each block runs without error, and prints what its `# expected` comments say."""
    block = BLOCKS[index]
    run = _run(block, home, tmp_path)
    assert run.returncode == 0, f"README python block {index} failed:\n{block}\n{run.stderr}"
    for expected in re.findall(r"print\(.*\)\s+# (\S[^\n]*)", block):
        shown = expected.split(":")[0].strip() if expected[:1].isdigit() else expected.strip()
        if shown.startswith(("pass as", "Alice works with", "Carol lives")):
            continue  # a remark, or a result checked by the search tests
        assert shown in run.stdout, f"block {index}: expected {shown!r} in\n{run.stdout}"

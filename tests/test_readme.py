"""The README's library example runs as written (against a fresh embedded store)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_library_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert blocks, "README has no python example"
    env = {**os.environ, "GRAPHMEM_HOME": str(tmp_path / "home"), "GRAPHMEM_EMBEDDER": "hashing"}
    env.pop("NEO4J_URI", None)
    run = subprocess.run(
        [sys.executable, "-c", blocks[0]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Alice works at Globex 2024-08-01")
    assert lines[1].startswith("alice lives in Berlin")  # extracted from the message
    assert lines[2:] == [
        "ADD None -> Alice works at Acme",
        "UPDATE Alice works at Acme -> Alice works at Globex",
    ]

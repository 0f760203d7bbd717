"""The wheel ships cypher/ and ontology/ inside the package, and they load from there; and the
inspector's page."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_statements_and_ontology_and_loads_them(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("graphmem-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    cypher_files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "cypher").rglob("*.cypher")}
    assert {f"graphmem/{f}" for f in cypher_files} <= names
    assert "graphmem/ontology/default.yaml" in names
    assert "graphmem/data/demo_conversation.json" in names
    assert "graphmem/py.typed" in names
    page = {f"graphmem/server/ui/{f}" for f in ("index.html", "inspector.js", "inspector.css")}
    assert page <= names  # the inspector's page (/ui); its style is cypher/browser/style.grass

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import graphmem, graphmem.resources as r; from graphmem.store.queries import load;"
        "from graphmem.ontology import load_ontology;"
        f"assert str(r.resource_dir('cypher')).startswith({str(site)!r});"
        "load('fact_create'); load_ontology(); print('ok')"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {probe}"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
    shutil.rmtree(site)

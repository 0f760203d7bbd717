"""`graphmem config show / ingest / export / import / show`, run as subprocesses against the
session's real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from graphmem import Memory

pytestmark = pytest.mark.store  # `graphmem` child processes, which open the store


def _cli(config: dict[str, Any], tmp_path: Path):
    config_file = tmp_path / "graphmem.yaml"
    config_file.write_text(yaml.safe_dump(config))

    def run(*args: str, config_path: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "graphmem.cli", "--config", str(config_path or config_file),
             *args],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env=dict(os.environ),
        )  # fmt: skip

    return run


def test_cli_config_show_masks_secrets_and_names_bad_keys(config: dict, tmp_path: Path) -> None:
    cli = _cli(config, tmp_path)
    secret = {
        **config,
        "llm": {"api_key": "sk-very-secret"},
        "store": {**config["store"], "password": "pw-secret"},
    }
    path = tmp_path / "secret.yaml"
    path.write_text(yaml.safe_dump(secret))
    out = cli("config", "show", config_path=path)
    assert out.returncode == 0, out.stderr
    assert "sk-very-secret" not in out.stdout and "pw-secret" not in out.stdout
    shown = yaml.safe_load(out.stdout)
    assert shown["llm"]["api_key"] == "**********" and shown["embedder"]["provider"] == "hashing"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**config, "embedder": {"provider": "hashing", "size": 3}}))
    out = cli("config", "show", config_path=bad)
    assert out.returncode == 2 and "embedder.size" in out.stderr and "bad.yaml" in out.stderr


def test_cli_ingest_export_import_show(
    server: Memory, config: dict, user: str, tmp_path: Path
) -> None:
    cli = _cli(config, tmp_path)
    chat = tmp_path / "chat.jsonl"
    chat.write_text(
        "".join(
            json.dumps({"user_id": user, "name": "Ida", "content": text, "timestamp": ts}) + "\n"
            for text, ts in [
                ("I work at Acme.", "2024-01-01T09:00:00Z"),
                ("My sister Emma lives in Rome.", "2024-01-02T09:00:00Z"),
                ("I work at Globex now.", "2024-03-01T09:00:00Z"),
            ]
        )
    )
    out = cli("ingest", str(chat))
    assert out.returncode == 0, out.stderr
    assert "3 messages: 3 stored, 0 already stored" in out.stdout
    assert "UPDATE 1" in out.stdout
    assert "%|" not in out.stderr  # no progress bar when stderr is not a terminal
    again = cli("--json", "ingest", str(chat))
    assert json.loads(again.stdout)["skipped"] == 3

    for fmt in ("json", "cypher", "graphml"):
        out = cli("export", "--user", user, "--format", fmt, "--out", f"mem.{fmt}")
        assert out.returncode == 0, out.stderr
        assert (tmp_path / f"mem.{fmt}").stat().st_size > 1000
    before = json.loads((tmp_path / "mem.json").read_text())
    assert cli("delete-all", "--user", user, "--yes").returncode == 0
    out = cli("import", "mem.graphml")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("imported ")
    assert cli("export", "--user", user, "--out", "again.json").returncode == 0
    after = json.loads((tmp_path / "again.json").read_text())
    assert after["nodes"] == before["nodes"]
    assert after["relationships"] == before["relationships"]
    bad = cli("import", "chat.jsonl")
    assert bad.returncode == 2 and "graphmem:" in bad.stderr

    out = cli("show", "--user", user, "--out", "graph.png")
    assert out.returncode == 0, out.stderr
    png = (tmp_path / "graph.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    out = cli("show", "--user", user, "--entity", "Emma", "--hops", "1", "--out", "emma.png")
    assert out.returncode == 0, out.stderr
    assert "drew 3 entities and 2 facts" in out.stdout  # Emma, Ida, Rome

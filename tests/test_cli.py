"""The `graphmem` command, run as a subprocess against the session's real store."""

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


@pytest.fixture
def cli(server: Memory, config: dict[str, Any], tmp_path: Path):
    config_file = tmp_path / "graphmem.yaml"
    config_file.write_text(yaml.safe_dump(config))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "graphmem.cli", "--config", str(config_file), *args],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=tmp_path,
            env=dict(os.environ),
        )

    return run


def test_cli_relate_get_all_history(cli, user: str) -> None:
    out = cli("--json", "relate", "Pia", "LIVES_IN", "Porto", "--user", user)
    assert out.returncode == 0, out.stderr
    mid = json.loads(out.stdout)["results"][0]["id"]
    assert cli("relate", "Pia", "LIVES_IN", "Faro", "--user", user).stdout.startswith("UPDATE")
    facts = json.loads(cli("--json", "get-all", "--user", user).stdout)["results"]
    assert [f["memory"] for f in facts] == ["Pia lives in Faro"]
    history = json.loads(cli("--json", "history", mid).stdout)
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    judged = cli("feedback", mid, "VERY_NEGATIVE", "--reason", "never moved")
    assert judged.returncode == 0, judged.stderr
    assert judged.stdout.splitlines() == [
        f"Feedback VERY_NEGATIVE recorded  [{mid}]",
        f"DELETE   Pia lives in Faro  [{mid}]",
        f"UPDATE   Pia lives in Porto  [{mid}]",
    ]
    history = json.loads(cli("--json", "history", mid).stdout)
    assert [(h["event"], h.get("reason")) for h in history] == [
        ("ADD", None),
        ("UPDATE", None),
        ("FEEDBACK", "never moved"),
        ("UPDATE", None),
    ]
    bad = cli("feedback", mid, "MAYBE")
    assert bad.returncode == 2 and "feedback must be one of" in bad.stderr
    assert cli("delete", mid).returncode == 0
    assert json.loads(cli("--json", "get", mid).stdout)["status"] == "deleted"


def test_cli_add_episode_and_errors(cli, user: str) -> None:
    out = cli("--json", "add", "I like tea", "--user", user, "--metadata", '{"k": 1}')
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][0]["event"] == "ADD"
    mine = '{"drinks": "what someone drinks", "misc": "the rest"}'
    out = cli("--json", "add", "I like coffee", "--user", user, "--categories", mine)
    assert json.loads(out.stdout)["results"][0]["categories"] == ["misc"]
    bad = cli("add", "I like soda", "--user", user, "--categories", '{"": 1}')
    assert bad.returncode == 2 and "custom_categories" in bad.stderr
    missing_scope = cli("add", "hello")
    assert missing_scope.returncode == 2 and "user_id" in missing_scope.stderr
    bad = cli("relate", "A", "X]->(b) DELETE b //", "B", "--user", user)
    assert bad.returncode == 2 and "not a valid relationship type" in bad.stderr
    unconfirmed = cli("reset")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert cli("delete-all", "--user", user).returncode == 2


def test_cli_adds_a_file_and_forgets_it(cli, user: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Home\nI live in Oslo.\n\n# Work\nI work at Globex.\n")
    out = cli("add", "My notes:", "--file", str(notes), "--user", user)
    assert out.returncode == 0, out.stderr
    [document] = [line for line in out.stdout.splitlines() if line.startswith("document ")]
    assert document.endswith(": markdown, 2 part(s)")
    document_id = document.split()[1].rstrip(":")
    forgotten = cli("forget-document", document_id, "--user", user)
    assert forgotten.returncode == 0, forgotten.stderr
    assert sorted(line.split()[0] for line in forgotten.stdout.splitlines()) == ["DELETE"] * 2
    assert cli("--json", "get-all", "--user", user).stdout.count('"memory"') == 0
    missing = cli("add", "--file", str(tmp_path / "none.pdf"), "--user", user)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert "TEXT, a --file" in cli("add", "--user", user).stderr


def test_cli_delete_all_scope(cli, user: str) -> None:
    cli("relate", "Quin", "KNOWS", "Rae", "--user", user)
    cli("relate", "Quin", "KNOWS", "Rae", "--user", user + "-other")
    assert cli("delete-all", "--user", user, "--yes").returncode == 0
    assert json.loads(cli("--json", "get-all", "--user", user).stdout)["results"] == []
    other = json.loads(cli("--json", "get-all", "--user", user + "-other").stdout)["results"]
    assert len(other) == 1


def test_cli_demo_shows_updates_and_history(cli) -> None:
    out = cli("demo")
    assert out.returncode == 0, out.stderr
    assert "UPDATE Alice works at Globex  (was: Alice works at Acme)" in out.stdout
    assert "NOOP   Alice works at Globex" in out.stdout
    assert "v2 UPDATE Alice works at Globex" in out.stdout
    assert "(Alice)-[:LIVES_IN]->(Berlin)" in out.stdout
    assert "(Alice)-[:LIVES_IN]->(Lisbon)" not in out.stdout  # superseded, not current


def test_cli_extract_prints_json_without_a_store(tmp_path: Path) -> None:
    env = {**os.environ, "GRAPHMEM_HOME": str(tmp_path / "never-created")}
    env.pop("NEO4J_URI", None)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "graphmem.cli",
            "extract",
            "My sister Emma moved to Rome last year.",
            "--speaker",
            "Ida",
            "--date",
            "2024-05-10",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    triples = {(r["subject"], r["relation"], r["object"]) for r in found["relations"]}
    assert triples == {("Ida", "SIBLING_OF", "Emma"), ("Emma", "LIVES_IN", "Rome")}
    moved = next(r for r in found["relations"] if r["relation"] == "LIVES_IN")
    assert moved["valid_from"].startswith("2023-01-01")
    assert not (tmp_path / "never-created").exists()  # no store was opened

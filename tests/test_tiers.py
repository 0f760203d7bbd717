"""The fast tier's guard: a test outside the `store` tier that starts a JVM fails the run.

The verdicts are checked directly, then the plugin itself in a pytest run of its own on a tiny
test file, with a stand-in for JPype (no real JVM is started here).
"""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .helpers.tiers import (
    STORE_FIXTURES,
    item_offence,
    jvm_started,
    needs_store,
    session_offence,
)

ROOT = Path(__file__).resolve().parent.parent


def test_item_verdicts() -> None:
    started = item_offence("t.py::test_x", in_store_tier=False, before=False, after=True)
    assert started is not None and "t.py::test_x started the JVM" in started
    assert "'store'" in started
    assert item_offence("t.py::test_x", in_store_tier=True, before=False, after=True) is None
    assert item_offence("t.py::test_x", in_store_tier=False, before=True, after=True) is None
    assert item_offence("t.py::test_x", in_store_tier=False, before=False, after=False) is None


def test_session_verdicts() -> None:
    assert session_offence(selected_store_tests=0, jvm=True) is not None
    assert session_offence(selected_store_tests=0, jvm=False) is None
    assert session_offence(selected_store_tests=3, jvm=True) is None  # the full run


def test_jvm_state_is_read_without_importing_jpype(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "jpype", raising=False)
    assert jvm_started() is False and "jpype" not in sys.modules
    assert {"server", "memory"} <= STORE_FIXTURES


class Stub:
    """What `needs_store` reads of a pytest item."""

    def __init__(self, *, marked: bool = False, fixtures: tuple[str, ...] = (), doc: str = ""):
        self.marked, self.fixturenames = marked, list(fixtures)
        if doc:
            self.dtest = doctest.DocTestParser().get_doctest(doc, {}, "m", "m.py", 0)

    def get_closest_marker(self, name: str) -> object | None:
        return object() if self.marked and name == "store" else None


def test_what_is_in_the_store_tier() -> None:
    assert needs_store(Stub(marked=True))  # type: ignore[arg-type]
    assert needs_store(Stub(fixtures=("tmp_path", "memory")))  # type: ignore[arg-type]
    assert not needs_store(Stub(fixtures=("tmp_path", "user")))  # type: ignore[arg-type]
    opens = ">>> with Memory() as m:\n...     m.reset()\n"
    skipped = ">>> with Memory() as m:  # doctest: +SKIP\n...     m.reset()\n"
    pure = ">>> Scope.of(user_id='a').owner\n'user:a'\n"
    assert needs_store(Stub(doc=opens))  # type: ignore[arg-type]
    assert not needs_store(Stub(doc=skipped))  # type: ignore[arg-type]
    assert not needs_store(Stub(doc=pure))  # type: ignore[arg-type]


INNER = """
import sys
import types

import pytest

jpype = types.ModuleType("jpype")  # a stand-in: "starting the JVM" flips a flag
jpype.running = False
jpype.isJVMStarted = lambda: jpype.running
sys.modules["jpype"] = jpype


@pytest.fixture
def memory():
    jpype.running = True  # as the real `memory` fixture starts the embedded server
    yield "memory"


def test_pure():
    assert True


def test_uses_the_store(memory):
    assert memory


@pytest.mark.store
def test_marked_and_starts_a_server():
    jpype.running = True


def test_starts_a_server_unmarked():
    jpype.running = True
"""


def _inner_run(tmp_path: Path, *args: str, source: str = INNER) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.helpers.tiers", "-p", "no:cacheprovider",
         "-q", "-rA", "test_inner.py", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_guard_fails_an_unmarked_test_that_starts_a_server(tmp_path: Path) -> None:
    run = _inner_run(tmp_path, "-m", "not store", "-k", "not test_marked")
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    # the fixture made test_uses_the_store a store test: deselected, with the marked one
    assert "2 passed, 2 deselected, 1 error" in out, out
    assert "ERROR test_inner.py::test_starts_a_server_unmarked" in out, out
    assert "test_inner.py::test_starts_a_server_unmarked started the JVM" in out, out
    assert "fast tier guard" in out, out


def test_the_guard_lets_store_tests_start_servers(tmp_path: Path) -> None:
    run = _inner_run(tmp_path, "-k", "uses_the_store or marked_and_starts")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout and "fast tier guard" not in run.stdout, run.stdout


def test_the_guard_fails_a_fast_run_that_ends_with_a_jvm(tmp_path: Path) -> None:
    """Started outside any test (here while collecting), the JVM still fails a fast run."""
    started = (
        "import sys, types\n"
        "sys.modules['jpype'] = types.SimpleNamespace(isJVMStarted=lambda: True)\n"
        "def test_pure():\n    pass\n"
    )
    run = _inner_run(tmp_path, "-m", "not store", source=started)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the JVM is running at the end of a run without 'store' tests" in run.stdout

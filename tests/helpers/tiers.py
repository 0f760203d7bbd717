"""The two test tiers, and the guard that keeps the fast one free of graph servers.

A test is in the `store` tier when it needs a graph server: it asks (directly or through other
fixtures) for one of `STORE_FIXTURES`, carries the `store` marker itself (tests that start the
`graphmem` command or a child process that opens a store), or is a doctest whose examples
open a `Memory`. `pytest -m "not store"` runs everything else: the pure logic, in seconds.

The guard proves the fast tier started no JVM (the embedded ArcadeDB runs in-process through
JPype): a test not in the `store` tier during which the JVM started fails (as an error at its
teardown, naming it), and a run that selected no `store` test fails at the end if the JVM is up
(e.g. started while collecting). A run with store tests is never failed by a store test starting
the JVM.

This module imports only pytest: `tests/conftest.py` installs it, and a pytest run of its own
loads it with `-p tests.helpers.tiers`.
"""

from __future__ import annotations

import doctest
import sys
from collections.abc import Generator

import pytest

STORE_MARK = "store"
MARKER_LINE = f"{STORE_MARK}: needs a graph server (deselect with -m 'not {STORE_MARK}')"
# The session fixtures of tests/conftest.py that start (or point at) the shared store.
STORE_FIXTURES = frozenset({"server", "memory", "config", "store_home"})
# Doctest examples that open a store unless they are skipped.
STORE_OPENERS = ("Memory(", "AsyncMemory(", "Memory.from_config_file(", "GraphStore(")

_BEFORE = pytest.StashKey[bool]()
_PLUGIN = "graphmem-tiers"


def jvm_started() -> bool:
    """True when this process runs a JVM (JPype imported and started). Never imports JPype."""
    jpype = sys.modules.get("jpype")
    return bool(jpype is not None and jpype.isJVMStarted())


def needs_store(item: pytest.Item) -> bool:
    """Whether `item` belongs to the store tier (see the module docstring)."""
    if item.get_closest_marker(STORE_MARK) is not None:
        return True
    if STORE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    dtest = getattr(item, "dtest", None)
    if isinstance(dtest, doctest.DocTest):
        return any(
            not ex.options.get(doctest.SKIP, False) and any(o in ex.source for o in STORE_OPENERS)
            for ex in dtest.examples
        )
    return False


def item_offence(nodeid: str, *, in_store_tier: bool, before: bool, after: bool) -> str | None:
    """The guard's verdict on one test: a message when a test outside the store tier started
    the JVM (it was not running before the test's setup and is after its teardown)."""
    if in_store_tier or before or not after:
        return None
    return (
        f"{nodeid} started the JVM (a graph server) but is not in the '{STORE_MARK}' tier: "
        f"give it the '{STORE_MARK}' marker, or keep it from opening a store"
    )


def session_offence(*, selected_store_tests: int, jvm: bool) -> str | None:
    """The guard's verdict on a whole run: with no store test selected, the JVM must be down."""
    if selected_store_tests or not jvm:
        return None
    return (
        f"the JVM is running at the end of a run without '{STORE_MARK}' tests: something "
        "outside any test (collection, a module import, a doctest) started a graph server"
    )


class Tiers:
    """The pytest plugin: marks the store tier, guards the rest."""

    def __init__(self) -> None:
        self.offences: list[str] = []
        self.store_tests = 0

    @pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            if needs_store(item) and item.get_closest_marker(STORE_MARK) is None:
                item.add_marker(STORE_MARK)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # after -m deselection: the tests that will run
        self.store_tests = sum(needs_store(item) for item in session.items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        item.stash[_BEFORE] = jvm_started()  # before any fixture of this test is set up

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when != "teardown" or _BEFORE not in item.stash:
            return report
        offence = item_offence(
            item.nodeid,
            in_store_tier=needs_store(item),
            before=item.stash[_BEFORE],
            after=jvm_started(),
        )
        if offence is not None:
            self.offences.append(offence)
            report.outcome = "failed"
            report.longrepr = offence
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        offence = session_offence(selected_store_tests=self.store_tests, jvm=jvm_started())
        if offence is not None and not self.offences:  # else a test was named already
            self.offences.append(offence)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.offences:
            terminalreporter.section("fast tier guard: a graph server was started", red=True)
            for offence in self.offences:
                terminalreporter.line(offence, red=True)


def install(config: pytest.Config) -> None:
    """Register the `store` marker (unless the ini file does) and the plugin, once."""
    if not any(line.split(":")[0].strip() == STORE_MARK for line in config.getini("markers")):
        config.addinivalue_line("markers", MARKER_LINE)
    if not config.pluginmanager.has_plugin(_PLUGIN):
        config.pluginmanager.register(Tiers(), _PLUGIN)


def pytest_configure(config: pytest.Config) -> None:
    """When loaded as a plugin of its own (`-p tests.helpers.tiers`)."""
    install(config)

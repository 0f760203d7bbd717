"""Shared fixtures: one real graph server per test session.

By default the embedded ArcadeDB is started in a temporary folder (over Bolt, exactly as
users run it). With NEO4J_URI set, the same integration tests run against that Neo4j server.

Two tiers (`tests/helpers/tiers.py`): every test that uses the server (through `server`,
`memory`, `config` or `store_home`, or marked `store` because it starts one itself) is in the
`store` tier; `pytest -m "not store"` runs the rest, the pure logic, with no JVM, and fails if
one of those tests starts a graph server anyway.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from graphmem import Memory
from graphmem.store.embedded import stop_all

from .helpers import tiers
from .helpers.raw import open_raw_session

# A deterministic embedder with the production size, so the store's vector indexes are the
# same shape as with MiniLM and tests can share one server.
DIMENSIONS = 384


def store_config(home: Path) -> dict[str, Any]:
    """Store settings for tests: Neo4j from the environment, else embedded in `home`."""
    if os.environ.get("NEO4J_URI"):
        return {
            "uri": os.environ["NEO4J_URI"],
            "user": os.environ.get("NEO4J_USER", "neo4j"),
            "password": os.environ.get("NEO4J_PASSWORD", ""),
        }
    return {"home": str(home), "heap": "1g"}


@pytest.fixture(scope="session")
def store_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graphmem-home")


@pytest.fixture(scope="session")
def config(store_home: Path) -> dict[str, Any]:
    return {
        "store": store_config(store_home),
        "embedder": {"provider": "hashing", "dimensions": DIMENSIONS},
    }


@pytest.fixture(scope="session")
def server(config: dict[str, Any]) -> Iterator[Memory]:
    """Keeps the embedded server up for the whole session (Memories share it)."""
    keeper = Memory(config)
    yield keeper
    keeper.close()


@pytest.fixture
def memory(server: Memory, config: dict[str, Any]) -> Iterator[Memory]:
    """A fresh Memory on the shared server."""
    with Memory(config) as m:
        yield m


@pytest.fixture
def raw_session(memory: Memory) -> Iterator[neo4j.Session]:
    """A Bolt session of its own on `memory`'s database, for raw Cypher that graphmem would
    never run (foreign nodes, hand edits); auto-commit queries."""
    with open_raw_session(memory.store) as session:
        yield session


@pytest.fixture
def user() -> str:
    """A user id no other test uses, so tests never see each other's data."""
    return f"u-{uuid.uuid4().hex[:10]}"


def pytest_configure(config: pytest.Config) -> None:
    tiers.install(config)  # the `store` tier and the guard of the fast one


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # session.exitstatus, not exitstatus: the tier guard may have failed the run
    session.config.stash[_EXIT_STATUS] = int(session.exitstatus)


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the run with pytest's own exit status but without the interpreter's teardown, as
    the `graphmem` command does (see `graphmem.cli.run`): the embedded server's JVM threads can
    crash Python's finalization after every test has passed. Output is flushed and the
    embedded server stopped first.

    First of the unconfigure hooks: pytest's faulthandler plugin disables faulthandler in its
    own, which puts back the SIGSEGV handler from before the JVM started, and the JVM raises
    SIGSEGV itself (null checks, safepoints): stopping the server after that killed the run
    with "Segmentation fault" once every test had passed."""
    status = config.stash.get(_EXIT_STATUS, None)
    if status is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    stop_all()
    os._exit(status)


_EXIT_STATUS = pytest.StashKey[int]()

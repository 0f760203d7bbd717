"""Raw Cypher on a store, for tests that must write what graphmem never would (foreign nodes,
a mirror edited by hand). Opened from the store's public connection details, never from its
private driver, so a test sees the database exactly as another client would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import neo4j


@contextmanager
def open_raw_session(store: Any) -> Iterator[neo4j.Session]:
    """A Bolt session on the database of `store` (a `GraphStore`: `uri`, `auth`, `database`),
    with a driver of its own; statements run as auto-commit queries."""
    driver = neo4j.GraphDatabase.driver(store.uri, auth=store.auth)
    with driver, driver.session(database=store.database) as session:
        yield session

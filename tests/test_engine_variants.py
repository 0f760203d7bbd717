"""Engine differences stay inside the store: on ArcadeDB the owner-scoped entity lookup searches
an `EntityVector` mirror, written by the ArcadeDB variants of the entity statements
(`cypher/arcadedb/`), never by domain code. After every public write operation the mirror holds
exactly the owner's entities, with the same vectors."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graphmem import Memory
from graphmem.scope import Scope

pytestmark = pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="embedded store only")


def _vectors(m: Memory, label: str, owner: str | None) -> dict[str, list[float]]:
    where = "{owner: $owner}" if owner is not None else ""
    rows = m.store.read_raw(
        f"MATCH (n:{label} {where}) RETURN n.id AS id, n.embedding AS e", {"owner": owner}
    )
    return {r["id"]: r["e"] for r in rows}


def _assert_mirrored(m: Memory, owner: str | None, after: str) -> None:
    entities, mirrors = _vectors(m, "Entity", owner), _vectors(m, "EntityVector", owner)
    assert entities.keys() == mirrors.keys(), f"mirror out of step after {after}"
    for entity_id, vector in entities.items():
        assert mirrors[entity_id] == pytest.approx(vector, abs=1e-6), after


def test_every_entity_write_keeps_the_mirror_in_step(memory: Memory, user: str, tmp_path: Path):
    owner = Scope.of(user).owner
    out = tmp_path / "export.json"
    state: dict[str, Any] = {}

    def add() -> None:
        state["episode"] = memory.add(
            {"role": "user", "name": "Ola", "content": "I work at Acme. I live in Bergen."},
            user_id=user,
        )["results"]

    def add_relation() -> None:
        state["fact"] = memory.add_relation("Ola", "LIKES", "tea", user_id=user)["results"][0]

    def update() -> None:
        memory.update(state["fact"]["id"], "coffee")

    def delete() -> None:
        memory.delete(state["fact"]["id"])

    def merge() -> None:
        memory.add_relation("Ola", "LIKES", "Globex", user_id=user)
        memory.merge_entities("Acme", "Globex", user_id=user)

    def forget() -> None:
        episodes = memory.store.read_raw(
            "MATCH (e:Episode {owner: $owner}) RETURN e.id AS id", {"owner": owner}
        )
        memory.forget_episode(episodes[0]["id"], user_id=user)

    def export_erase_import() -> None:
        memory.export(out, user_id=user)
        memory.delete_all(user_id=user)
        assert _vectors(memory, "EntityVector", owner) == {}
        memory.import_(out)
        assert _vectors(memory, "EntityVector", owner)

    def delete_all() -> None:
        memory.delete_all(user_id=user)
        assert _vectors(memory, "EntityVector", owner) == {}

    steps: list[Callable[[], None]] = [
        add,
        add_relation,
        update,
        delete,
        merge,
        forget,
        export_erase_import,
        delete_all,
    ]
    for step in steps:
        step()
        _assert_mirrored(memory, owner, step.__name__)


def test_reset_erases_the_mirror_with_the_entities(server: Memory, tmp_path: Path) -> None:
    config = {
        "store": {"home": str(tmp_path / "h"), "heap": "1g"},
        "embedder": {"provider": "hashing", "dimensions": 384},
    }
    with Memory(config) as m:
        for user in ("a", "b"):
            m.add_relation("Kari", "WORKS_AT", "Acme", user_id=user)
        _assert_mirrored(m, None, "add_relation")
        m.reset()
        assert _vectors(m, "EntityVector", None) == {}
        _assert_mirrored(m, None, "reset")

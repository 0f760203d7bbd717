"""Export / import round trips against the real store: JSON, GraphML and the Cypher script
(linted by Neo4j's own front end, then loaded statement by statement into the store)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import neo4j
import pytest

from graphmem import InvalidNameError, Memory, ValidationError
from graphmem.readwrite.cypher_script import cypher_literal, to_cypher

from .test_cypher_lint import lint

ODD = 'it\'s a "quote" \\ back\\slash\nnew line\ttab ü 😀 `tick` \u2028 \x07'


def _populate(m: Memory, user: str) -> dict[str, Any]:
    """A scope with every kind of data: versions (superseded, deleted), provenance,
    MENTIONS, metadata with awkward characters, times, flags."""
    job = m.add_relation(
        "Ana O'Neil", "WORKS_AT", "Acme", user_id=user, source="HR said so", metadata={"n": ODD}
    )["results"][0]
    m.add_relation("Ana O'Neil", "WORKS_AT", "Globex", user_id=user, valid_from="2024-08-01")
    home = m.add_relation("Ana O'Neil", "LIVES_IN", "Lisbon", user_id=user)["results"][0]
    m.delete(home["id"])
    m.add_relation(
        "Ana O'Neil",
        "LIKES",
        "Tea",
        user_id=user,
        run_id="r1",
        expiration_date="2999-01-01",
        immutable=True,
        confidence=0.75,
    )
    m.add({"role": "user", "content": ODD, "name": "Ana"}, user_id=user, infer=False)
    return {"job": job["id"], "home": home["id"]}


def _same(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "exported_at"}


def _fingerprint(m: Memory, user: str, ids: dict[str, Any]) -> Any:
    return (
        m.get_all(user_id=user)["results"],
        [m.history(i) for i in ids.values()],
    )


@pytest.mark.parametrize("fmt", ["json", "graphml"])
def test_export_reset_import_gives_back_everything(
    memory: Memory, user: str, tmp_path: Path, fmt: str
) -> None:
    ids = _populate(memory, user)
    before = memory.export(user_id=user)
    seen = _fingerprint(memory, user, ids)
    kinds = {tuple(n["labels"]) for n in before["nodes"]}
    assert ("Episode",) in kinds and ("Entity", "Person") in kinds
    types = [r["type"] for r in before["relationships"]]
    assert types.count("WORKS_AT") == 2 and "MENTIONS" in types and "LIVES_IN" in types
    statuses = {r["properties"].get("status") for r in before["relationships"]}
    assert statuses == {"current", "superseded", "deleted", None}  # None: MENTIONS
    assert all(len(n["properties"]["embedding"]) == 384 for n in before["nodes"])
    json.dumps(before)

    out = memory.export(tmp_path / f"mem.{fmt}", user_id=user)
    assert out["format"] == fmt and out["facts"] == 4
    memory.delete_all(user_id=user)
    assert memory.export(user_id=user)["nodes"] == []

    result = memory.import_(tmp_path / f"mem.{fmt}")
    assert result["imported"]["facts"] == 4
    after = memory.export(user_id=user)
    assert _same(after) == _same(before)  # every property, version, time and link
    assert _fingerprint(memory, user, ids) == seen

    memory.import_(tmp_path / f"mem.{fmt}")  # merged by id: importing twice changes nothing
    assert _same(memory.export(user_id=user)) == _same(before)


def test_cypher_script_lints_clean_and_loads_into_the_store(
    memory: Memory, user: str, tmp_path: Path
) -> None:
    ids = _populate(memory, user)
    before = memory.export(user_id=user)
    seen = _fingerprint(memory, user, ids)
    path = tmp_path / "memory.cypher"
    memory.export(path, user_id=user)
    script = path.read_text(encoding="utf-8")
    assert "MERGE (s)-[r:WORKS_AT {id: row.props.id}]->(o)" in script
    assert "datetime('" in script

    checked = lint((path,))[path]  # Neo4j's own Cypher 5 front end, as for cypher/*.cypher
    assert not checked.problems and not checked.diagnostics, checked

    memory.delete_all(user_id=user)
    statements = _split(script)
    assert len(statements) >= 8
    driver = neo4j.GraphDatabase.driver(memory.store.uri, auth=memory.store.auth)
    try:
        with driver.session(database=memory.store.database) as session:
            for statement in statements:
                session.execute_write(lambda tx, s=statement: tx.run(s).consume())
    finally:
        driver.close()
    assert _same(memory.export(user_id=user)) == _same(before)
    assert _fingerprint(memory, user, ids) == seen


def _split(script: str) -> list[str]:
    """Statements of a script made by `to_cypher`: each ends with ';' at the end of a line,
    and no literal spans lines."""
    statements, current = [], []
    for line in script.splitlines():
        current.append(line)
        if line.endswith(";"):
            statements.append("\n".join(current)[:-1])
            current = []
    assert not "".join(current).strip()
    return statements


def test_cypher_literals_escape_everything() -> None:
    assert cypher_literal("it's") == "'it\\'s'"
    assert cypher_literal("a\\b") == "'a\\\\b'"
    assert cypher_literal("x\ny\u2028\x07") == "'x\\ny\\u2028\\u0007'"
    assert cypher_literal([1, 2.5, True, None]) == "[1, 2.5, true, null]"
    assert cypher_literal({"$datetime": "2024-01-01T00:00:00+00:00"}) == (
        "datetime('2024-01-01T00:00:00+00:00')"
    )
    with pytest.raises(ValidationError):
        cypher_literal(float("nan"))
    doc = {
        "scope": {"owner": "user:x"},
        "nodes": [],
        "relationships": [{"type": "X]->() DETACH DELETE n //", "start": "a", "end": "b"}],
    }
    with pytest.raises(InvalidNameError):
        to_cypher(doc)


def test_import_validates_everything_before_writing(memory: Memory, user: str) -> None:
    _populate(memory, user)
    good = memory.export(user_id=user)
    memory.delete_all(user_id=user)

    bad_type = copy.deepcopy(good)
    bad_type["relationships"][-1]["type"] = "KNOWS]->(x) DETACH DELETE x //"
    with pytest.raises(InvalidNameError):
        memory.import_(bad_type)
    bad_label = copy.deepcopy(good)
    entity = next(n for n in bad_label["nodes"] if n["labels"][0] == "Entity")
    entity["labels"] = ["Entity", "Person:Admin"]
    with pytest.raises(InvalidNameError):
        memory.import_(bad_label)
    reserved = copy.deepcopy(good)
    entity = next(n for n in reserved["nodes"] if n["labels"][0] == "Entity")
    entity["labels"] = ["Entity", "Episode"]
    with pytest.raises(InvalidNameError):
        memory.import_(reserved)
    dangling = copy.deepcopy(good)
    dangling["relationships"][-1]["end"] = "no-such-node"
    with pytest.raises(ValidationError, match="not nodes of the file"):
        memory.import_(dangling)
    wrong_size = copy.deepcopy(good)
    wrong_size["nodes"][-1]["properties"]["embedding"] = [0.5, 0.5]
    with pytest.raises(ValidationError, match="dimensions"):
        memory.import_(wrong_size)
    with pytest.raises(ValidationError, match="not a graphmem export"):
        memory.import_({"nodes": []})
    assert memory.export(user_id=user)["nodes"] == []  # nothing was written by any of them


def test_export_narrowed_to_a_run(memory: Memory, user: str) -> None:
    _populate(memory, user)
    doc = memory.export(user_id=user, run_id="r1", include_embeddings=False)
    facts = [r for r in doc["relationships"] if r["type"] != "MENTIONS"]
    assert [r["type"] for r in facts] == ["LIKES"]
    assert all("embedding" not in n["properties"] for n in doc["nodes"])
    assert not any(n["labels"] == ["Episode"] for n in doc["nodes"])  # episodes of no run

"""The embedded store as a user meets it: its folder, credentials, ports, restarts, and a
second process opening the same folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graphmem import ConfigError, Memory
from graphmem.scope import Scope

from .helpers.raw import open_raw_session

pytestmark = [
    pytest.mark.store,  # some tests open stores of their own, or start child processes that do
    pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="embedded store only"),
]

HASHING = {"provider": "hashing", "dimensions": 384}


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port`, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.add(addr)
    return found


def test_folder_credentials_and_loopback(server: Memory, store_home: Path) -> None:
    assert (store_home / "credentials.json").stat().st_mode & 0o777 == 0o600
    info = json.loads((store_home / "server.json").read_text())
    assert (store_home / "server.json").stat().st_mode & 0o777 == 0o600
    assert info["pid"] == os.getpid()
    for port in (info["bolt_port"], info["http_port"]):
        addresses = _listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        loopback = {
            "0100007F",
            "0000000000000000FFFF00000100007F",
            "00000000000000000000000001000000",
        }
        assert addresses <= loopback, f"port {port} listens beyond loopback: {addresses}"


def _run_child(
    code: str, home: Path, cwd: Path, *, takeover: float = 30
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRAPHMEM_HOME": str(home), "GRAPHMEM_EMBEDDER": "hashing"}
    env["TAKEOVER"] = str(takeover)
    env.pop("NEO4J_URI", None)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=180
    )


CHILD = """
import json, os, graphmem
cfg = graphmem.MemoryConfig.from_env()
hashing = graphmem.EmbedderConfig(provider="hashing", dimensions=384)
store = cfg.store.model_copy(update={"takeover_timeout": float(os.environ["TAKEOVER"])})
cfg = cfg.model_copy(update={"embedder": hashing, "store": store})
with graphmem.Memory(cfg) as m:
    facts = m.get_all(user_id="shared")["results"]
    m.add_relation("Child", "KNOWS", "Parent", user_id="shared")
    print(json.dumps(sorted(f["memory"] for f in facts)))
"""


def test_second_process_connects_to_the_running_server(
    server: Memory, store_home: Path, tmp_path: Path
) -> None:
    server.add_relation("Parent", "LIVES_IN", "Here", user_id="shared")
    child = _run_child(CHILD, store_home, tmp_path)
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout.strip().splitlines()[-1]) == ["Parent lives in Here"]
    seen = {f["memory"] for f in server.get_all(user_id="shared")["results"]}
    assert "Child knows Parent" in seen  # the child's write went to our server
    assert not (tmp_path / "log").exists()  # the engine's logs stay in the graphmem home


def test_unreachable_holder_gives_a_clear_error(
    server: Memory, store_home: Path, tmp_path: Path
) -> None:
    info_file = store_home / "server.json"
    saved = info_file.read_text()
    info_file.write_text(json.dumps({"pid": 1, "bolt_port": 9, "http_port": 9}))
    try:
        child = _run_child(CHILD, store_home, tmp_path, takeover=2)
    finally:
        info_file.write_text(saved)
    assert child.returncode != 0
    assert "StoreLockedError" in child.stderr and "locked by another process" in child.stderr


def test_data_survives_close_and_reopen(server: Memory, tmp_path: Path) -> None:
    config: dict[str, Any] = {"store": {"home": str(tmp_path / "h")}, "embedder": HASHING}
    with Memory(config) as m:
        mid = m.add_relation("Ola", "WORKS_AT", "Acme", user_id="p")["results"][0]["id"]
        m.update(mid, "Globex")
    assert not (tmp_path / "h" / "server.json").exists()  # the server stopped with its last user
    with Memory(config) as m:
        assert [h["new_memory"] for h in m.history(mid)] == [
            "Ola works at Acme",
            "Ola works at Globex",
        ]
        assert m.get(mid)["target"] == "Globex"


def test_fact_embeddings_are_float_arrays(server: Memory) -> None:
    """The ontology's relation types declare `embedding` as ARRAY_OF_FLOATS on ArcadeDB
    (search's cosine over a list of doubles cost ~3x more), and facts read back the same."""
    types = server.store.sql("SELECT name, properties FROM schema:types")
    declared = {
        t["name"]: {p["name"]: p["type"] for p in t["properties"]}
        for t in types
        if t["name"] in {r.name for r in server.ontology.relation_types}
    }
    assert set(declared) == {r.name for r in server.ontology.relation_types}
    assert all(props.get("embedding") == "ARRAY_OF_FLOATS" for props in declared.values())
    added = server.add_relation("Ulla", "LIVES_IN", "Bergen", user_id="float-arrays")
    mid = added["results"][0]["id"]
    text = server.get(mid)["memory"]
    found = server.search(text, user_id="float-arrays", explain=True)["results"]
    [hit] = [r for r in found if r["id"] == mid]
    assert hit["explanation"]["similarity"] == pytest.approx(1.0, abs=1e-5)  # float32 stored


def _vectors(m: Memory, label: str, user: str) -> dict[str, list[float]]:
    rows = m.store.read_raw(
        f"MATCH (n:{label} {{owner: $owner}}) RETURN n.id AS id, n.embedding AS e",
        {"owner": Scope.of(user).owner},
    )
    return {r["id"]: r["e"] for r in rows}


def _mirrored(m: Memory, user: str) -> bool:
    """The user's EntityVector mirrors are exactly its entities, with the same vectors."""
    entities, mirrors = _vectors(m, "Entity", user), _vectors(m, "EntityVector", user)
    return entities.keys() == mirrors.keys() and all(
        mirrors[i] == pytest.approx(entities[i], abs=1e-6) for i in entities
    )


def test_entity_vectors_are_mirrored_for_the_one_graph_lookup(
    server: Memory, tmp_path: Path
) -> None:
    """ArcadeDB searches an index on Entity as one vector graph per label, so the entity
    lookup uses the EntityVector mirror (one graph): every write keeps it in step, erases take
    it along, and a store whose mirror is off (older, or edited by hand) is fixed on opening."""
    from graphmem.search import EntitySearch

    config: dict[str, Any] = {"store": {"home": str(tmp_path / "mirror")}, "embedder": HASHING}
    with Memory(config) as m:
        m.add_relation("Ola", "WORKS_AT", "Acme", user_id="a")
        m.add_relation("Kari", "LIVES_IN", "Bergen", user_id="a")
        m.add_relation("Per", "KNOWS", "Kari", user_id="b")
        m.add_relation("Pål", "KNOWS", "Kari", user_id="b")
        assert _mirrored(m, "a") and _mirrored(m, "b") and len(_vectors(m, "Entity", "a")) == 4
        # the index path (over-fetch, then the owner's hits) finds the entity by its vector
        entities = _vectors(m, "Entity", "a")
        for entity_id, vector in entities.items():
            hits = EntitySearch(m.store).over_fetch(Scope.of("a").owner, vector, 1, 50)
            assert [h["id"] for h in hits] == [entity_id]
        m.merge_entities("Per", "Pål", user_id="b")
        assert _mirrored(m, "b") and len(_vectors(m, "EntityVector", "b")) == 2
        m.delete_all(user_id="b")
        assert _vectors(m, "EntityVector", "b") == {} and _mirrored(m, "a")
        with open_raw_session(m.store) as session:  # by hand
            session.run(
                "MATCH (v:EntityVector {owner: 'user:a'}) WITH v LIMIT 2 DELETE v"
            ).consume()
            session.run("CREATE (:EntityVector {id: 'gone', owner: 'user:a'})").consume()
        assert not _mirrored(m, "a")
        m.store.sql(  # as a store made before the mirror indexed it
            "CREATE INDEX ON Entity (embedding) LSM_VECTOR "
            "METADATA {dimensions: 384, similarity: 'COSINE'}"
        )
    with Memory(config) as m:
        assert _mirrored(m, "a")
        indexes = {i["name"] for i in m.store.sql("SELECT FROM schema:indexes")}
        assert "EntityVector[embedding]" in indexes and "Entity[embedding]" not in indexes
        m.reset()
        assert m.store.read_raw("MATCH (v:EntityVector) RETURN count(v) AS c", {}) == [{"c": 0}]


def test_store_made_with_other_index_settings_still_opens(
    server: Memory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store whose vector index was built with older settings keeps that index and opens."""
    from graphmem.store import dialect

    config: dict[str, Any] = {"store": {"home": str(tmp_path / "old")}, "embedder": HASHING}
    with monkeypatch.context() as patch:
        patch.setattr(dialect, "ENTITY_VECTOR_INDEX_OPTIONS", "maxConnections: 32")
        with Memory(config) as m:
            m.add_relation("Ola", "KNOWS", "Per", user_id="p")
    with Memory(config) as m:
        assert [f["memory"] for f in m.get_all(user_id="p")["results"]] == ["Ola knows Per"]


def test_other_embedding_size_is_refused(server: Memory, tmp_path: Path) -> None:
    home = str(tmp_path / "dims")
    with Memory({"store": {"home": home}, "embedder": HASHING}):
        pass
    with pytest.raises(ConfigError, match="384-dimensional"):
        Memory({"store": {"home": home}, "embedder": {"provider": "hashing", "dimensions": 64}})


def test_process_exits_cleanly_without_close_and_keeps_its_data(
    server: Memory, tmp_path: Path
) -> None:
    """A script that never closes its Memory (and loads spaCy next to the JVM) must still exit
    with status 0, and what it wrote must be there for the next process."""
    home = tmp_path / "unclosed"
    code = (
        "import graphmem\n"
        f"m = graphmem.Memory({{'store': {{'home': {str(home)!r}}}, "
        "'embedder': {'provider': 'hashing', 'dimensions': 384}})\n"
        "m.add({'role': 'user', 'content': 'I live in Oslo.', 'name': 'Ida'}, user_id='ida')\n"
    )
    first = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert first.returncode == 0, first.stderr[-2000:]
    config: dict[str, Any] = {"store": {"home": str(home)}, "embedder": HASHING}
    with Memory(config) as m:
        assert [f["memory"] for f in m.get_all(user_id="ida")["results"]] == ["Ida lives in Oslo"]

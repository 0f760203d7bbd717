"""`MemoryClient` and `AsyncMemoryClient` against a real `graphmem serve` (one per module)."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from graphmem import Memory
from graphmem.client import AsyncMemoryClient, MemoryClient
from graphmem.errors import (
    GraphmemError,
    InvalidNameError,
    NotFoundError,
    ScopeError,
    StoreError,
    ValidationError,
)

from .helpers.served import Served, served

pytestmark = pytest.mark.store  # a real `graphmem serve` process, owning a store


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("client") / "home", "--allow-user-id") as running:
        yield running


@pytest.fixture
def client(server: Served) -> Iterator[MemoryClient]:
    with MemoryClient(server.url, server.token) as c:
        yield c


@pytest.fixture
def user() -> str:
    return f"u-{uuid.uuid4().hex[:8]}"


def test_round_trip_with_memory_s_names(client: MemoryClient, user: str) -> None:
    event = client.add_relation("Alice", "works at", "Acme", user_id=user, metadata={"k": 1})
    mid = event["results"][0]["id"]
    client.add_relation("Bob", "WORKS_AT", "Acme", user_id=user)
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)  # sent as ISO 8601 text
    assert client.get(mid)["memory"] == "Alice works at Acme"
    assert client.get(mid, user_id=user)["id"] == mid
    assert client.get(mid, user_id="someone-else") is None  # another scope: as if unknown
    liked = client.get_all(user_id=user, filters={"metadata.k": 1})["results"]
    assert [f["id"] for f in liked] == [mid]
    updated = client.update(mid, {"object": "Globex"}, user_id=user)
    assert updated["results"][0]["memory"] == "Alice works at Globex"
    assert [h["event"] for h in client.history(mid)] == ["ADD", "UPDATE"]
    top = client.search("Who does Bob work with?", user_id=user, limit=3)["results"][0]
    assert "Bob" in top["memory"]
    assert client.get_entity("Alice", user_id=user)["entity"]["name"] == "Alice"
    near = client.neighbors("Bob", user_id=user, hops=2, types=["WORKS_AT"])
    assert {f["hops"] for f in near["results"]} == {1}
    assert len(client.changes(since=since, user_id=user)["results"]) == 3
    rows = client.query("MATCH (n:Entity {owner: $owner}) RETURN count(n) AS n", user_id=user)
    assert rows == [{"n": 4}]
    doc = client.export(user_id=user, include_embeddings=False)
    assert doc["scope"]["user_id"] == user and len(doc["relationships"]) == 3
    assert client.delete(mid)["results"][0]["event"] == "DELETE"
    assert client.delete_all(user_id=user)["deleted"]["facts"] >= 2
    assert client.get_all(user_id=user)["results"] == []
    assert client.health()["status"] == "ok"


def test_batch_routes_reach_the_caller_s_scope_only(client: MemoryClient, user: str) -> None:
    mine = [
        client.add_relation(p, "LIKES", "tea", user_id=user)["results"][0]["id"]
        for p in ("Ann", "Bob")
    ]
    theirs = client.add_relation("Ann", "LIKES", "tea", user_id=f"{user}-b")["results"][0]["id"]
    out = client.batch_update(
        [
            {"memory_id": mine[0], "data": "jazz"},
            {"memory_id": mine[1], "data": {"object": "chess"}},
        ],
        user_id=user,
    )
    assert [(e["event"], e["target"]) for e in out["results"]] == [
        ("UPDATE", "jazz"),
        ("UPDATE", "chess"),
    ]
    with pytest.raises(NotFoundError, match=f"item 1 \\({theirs!r}\\)"):
        client.batch_delete([mine[0], theirs], user_id=user)
    with pytest.raises(NotFoundError, match="item 0"):
        client.batch_update([{"memory_id": theirs, "data": "x"}], user_id=user)
    with pytest.raises(ValidationError, match="memories"):  # the route's schema (422)
        client.batch_delete([], user_id=user)
    assert client.get(theirs)["target"] == "tea" and client.get(mine[0])["target"] == "jazz"
    assert [e["event"] for e in client.batch_delete(mine, user_id=user)["results"]] == [
        "DELETE",
        "DELETE",
    ]
    assert client.get_all(user_id=user)["results"] == []
    assert len(client.get_all(user_id=f"{user}-b")["results"]) == 1


def test_feedback_route_judges_the_caller_s_memories_only(client: MemoryClient, user: str) -> None:
    mine = client.add_relation("Ann", "LIVES_IN", "Lima", user_id=user)["results"][0]["id"]
    client.update(mine, "Oslo", user_id=user)
    theirs = client.add_relation("Ann", "LIKES", "tea", user_id=f"{user}-b")["results"][0]["id"]
    with pytest.raises(NotFoundError):
        client.feedback(theirs, "VERY_NEGATIVE", user_id=user)
    with pytest.raises(ValidationError, match="feedback must be one of"):
        client.feedback(mine, "MAYBE", user_id=user)
    out = client.feedback(mine, "very_negative", "never moved", by="me", user_id=user)
    assert (out["feedback"]["feedback"], out["feedback"]["by"]) == ("VERY_NEGATIVE", "me")
    assert [(e["event"], e["target"]) for e in out["results"]] == [
        ("DELETE", "Oslo"),
        ("UPDATE", "Lima"),
    ]
    events = [e["event"] for e in client.history(mine, user_id=user)]
    assert events == ["ADD", "UPDATE", "FEEDBACK", "UPDATE"]
    assert client.get(theirs, user_id=f"{user}-b")["feedback"] is None


def test_answers_are_memory_s_own(client: MemoryClient, server: Served, user: str) -> None:
    """The same data as `Memory` gives in-process (a Memory of this process connects to the
    server's store)."""
    client.add_relation("Pia", "LIVES_IN", "Porto", user_id=user, valid_from="2020-01-01")
    with Memory(json.loads(server.config.read_text())) as m:
        assert client.get_all(user_id=user) == m.get_all(user_id=user)
        mid = m.get_all(user_id=user)["results"][0]["id"]
        assert client.history(mid) == m.history(mid)


def test_the_server_of_a_home_is_found(
    server: Served, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with MemoryClient(home=server.home) as c:  # url from serve.json, token from the file
        assert c.url == server.url
        c.add_relation("Ida", "LIVES_IN", "Oslo", user_id=user)
    monkeypatch.setenv("GRAPHMEM_HOME", str(server.home))
    with MemoryClient() as c:
        assert [f["memory"] for f in c.get_all(user_id=user)["results"]] == ["Ida lives in Oslo"]
    monkeypatch.setenv("GRAPHMEM_TOKEN", "not-the-token")  # explicit beats the file
    with MemoryClient() as c, pytest.raises(GraphmemError, match="token"):
        c.get_all(user_id=user)


def test_errors_come_back_typed(client: MemoryClient, server: Served, user: str) -> None:
    assert client.get(str(uuid.uuid4())) is None
    with pytest.raises(NotFoundError, match="no memory with id"):
        client.history(str(uuid.uuid4()))
    with pytest.raises(NotFoundError, match="Nobody"):
        client.neighbors("Nobody", user_id=user)
    with pytest.raises(InvalidNameError, match="nothing was written"):
        client.add_relation("A", "X]->(b) DELETE b //", "B", user_id=user)
    with pytest.raises(ScopeError, match="user_id"):
        client.search("anything")
    with pytest.raises(ValidationError, match="limit"):
        client.search("anything", user_id=user, limit=0)
    with pytest.raises(ValidationError, match="body.limit"):  # the route's schema (422)
        client.search("anything", user_id=user, limit="many")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="read-only"):
        client.query("MATCH (n {owner: $owner}) DETACH DELETE n", user_id=user)
    with MemoryClient(server.url, "wrong") as stranger:
        with pytest.raises(GraphmemError, match="bearer token") as refused:
            stranger.get_all(user_id=user)
        assert type(refused.value) is GraphmemError


def test_an_absent_server_is_a_store_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with (
        MemoryClient(f"http://127.0.0.1:{port}", "t") as c,
        pytest.raises(StoreError, match="not reachable.*graphmem serve"),
    ):
        c.get_all(user_id="x")
    with pytest.raises(StoreError, match="no graphmem server is running"):
        MemoryClient(home=tmp_path)


def test_async_client(server: Served, user: str) -> None:
    async def main() -> None:
        async with AsyncMemoryClient(server.url, server.token) as c:
            added = await c.add(
                {"role": "user", "content": "I live in Lisbon.", "name": "Rita"}, user_id=user
            )
            assert [e["memory"] for e in added["results"]] == ["Rita lives in Lisbon"]
            found, missing = await asyncio.gather(
                c.search("Where does Rita live?", user_id=user),
                c.get(str(uuid.uuid4())),
            )
            assert found["results"][0]["memory"] == "Rita lives in Lisbon"
            assert missing is None
            with pytest.raises(ScopeError):
                await c.get_all()
        async with AsyncMemoryClient(home=server.home) as c:
            assert (await c.health())["pid"] == server.process.pid

    asyncio.run(main())

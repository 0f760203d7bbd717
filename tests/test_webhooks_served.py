"""Webhooks on the served store: the REST routes (through `MemoryClient`), scoped like memories,
and `graphmem serve` delivering in the background: to a receiver that is down for a while, across
a restart of the server (the outbox is in the store), and for writes that another process made
over Bolt."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graphmem import Memory
from graphmem.client import MemoryClient
from graphmem.errors import NotFoundError, ValidationError
from graphmem.webhooks.signing import SIGNATURE_HEADER, verify

from .helpers.receiver import Receiver
from .helpers.served import Served, served, start, wait_served

pytestmark = pytest.mark.store

QUICK = {"webhooks": {"poll_interval": 0.1, "retry_base": 0.1, "retry_max": 0.5}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("hooks") / "home", "--allow-user-id", sections=QUICK) as s:
        yield s


@pytest.fixture
def client(server: Served) -> Iterator[MemoryClient]:
    with MemoryClient(server.url, token=server.token) as c:
        yield c


def test_webhook_routes_are_scoped_and_checked(server: Served, client: MemoryClient) -> None:
    made = client.create_webhook(
        "http://127.0.0.1:1/hook", ["memory_add"], user_id="ann", name="mine"
    )
    assert len(made["secret"]) == 64 and made["event_types"] == ["memory_add"]
    listed = client.get_webhooks(user_id="ann")["results"]
    assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
    assert client.get_webhooks(user_id="bob")["results"] == []
    for call in (
        lambda: client.update_webhook(made["id"], active=False, user_id="bob"),
        lambda: client.delete_webhook(made["id"], user_id="bob"),
    ):
        with pytest.raises(NotFoundError, match="no webhook"):
            call()
    answer = httpx.get(f"{server.url}/webhooks/{made['id']}", params={"user_id": "bob"},
                       headers=server.headers)  # fmt: skip
    assert answer.status_code == 404
    assert httpx.get(f"{server.url}/webhooks", params={"user_id": "ann"}).status_code == 401
    with pytest.raises(ValidationError, match="unknown event type"):
        client.create_webhook("http://127.0.0.1:1/hook", ["memory_added"], user_id="ann")
    paused = client.update_webhook(made["id"], active=False, user_id="ann")
    assert paused["active"] is False
    assert client.delete_webhook(made["id"], user_id="ann")["deliveries_dropped"] == 0
    assert client.get_webhooks(user_id="ann")["results"] == []


def test_served_deliveries_survive_a_down_receiver_and_a_restart(tmp_path: Path) -> None:
    receiver = Receiver()
    with (
        served(tmp_path / "home", "--allow-user-id", sections=QUICK) as server,
        MemoryClient(server.url, token=server.token) as client,
    ):
        try:
            _down_then_restarted(server, client, receiver)
        finally:
            receiver.stop()
            server.stop()  # the restarted process (the block stops the first one)


def _down_then_restarted(server: Served, client: MemoryClient, receiver: Receiver) -> None:
    webhook = client.create_webhook(receiver.url, user_id="cy")
    receiver.stop()  # down for a while
    ids = [
        client.add_relation("Cy", "LIKES", food, user_id="cy")["results"][0]["id"]
        for food in ("tea", "rum")
    ]
    client.update(ids[0], "coffee", user_id="cy")
    with Memory(json.loads(server.config.read_text())) as other:  # another process's
        ids.append(other.add_relation("Cy", "LIKES", "gin", user_id="cy")["results"][0]["id"])
    deadline = time.monotonic() + 30
    while client.get_webhooks(user_id="cy")["results"][0]["failures"] < 2:
        assert time.monotonic() < deadline, "the server never tried the receiver"
        time.sleep(0.1)
    assert client.get_webhooks(user_id="cy")["results"][0]["pending"] == 4

    assert server.stop() == 0  # the events wait in the store, not in the process
    server.process = start(server.config, server.home, "--allow-user-id")
    server.url = wait_served(server.home, server.process)
    receiver.start()
    events = receiver.wait_for(4)
    assert [(e["event"], e["memory_id"]) for e in events] == [
        ("memory_add", ids[0]),
        ("memory_add", ids[1]),
        ("memory_update", ids[0]),
        ("memory_add", ids[2]),
    ]
    assert events[2]["old_memory"] == "Cy likes tea"
    for got in receiver.received:
        assert verify(webhook["secret"], got.body, got.headers[SIGNATURE_HEADER])
    with MemoryClient(server.url, token=server.token) as again:
        state = again.get_webhooks(user_id="cy")["results"][0]
        assert (state["pending"], state["failures"]) == (0, 0)
        again.delete(ids[1], user_id="cy")  # delivered while it serves, too
        assert receiver.wait_for(5)[4]["event"] == "memory_delete"

"""Webhooks: registered per owner scope, queued by the write that makes each event (in its
transaction), delivered by the real `Deliverer` to a real HTTP receiver: signed, in order,
retried with backoff while the receiver is down, never crossing owners. The served path
(REST routes, `graphmem serve` delivering, a restart losing nothing) is in
test_webhooks_served.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.config import WebhookConfig
from graphmem.errors import NotFoundError, ScopeError, ValidationError
from graphmem.webhooks.delivery import Deliverer
from graphmem.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify

from .helpers.receiver import Receiver

FAST = WebhookConfig(retry_base=0.05, retry_max=0.2, timeout=2)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def hooks(memory: Memory) -> Iterator[list[str]]:
    """Ids of the webhooks a test registers: deleted after it, so no other test's deliverer
    pass meets them."""
    made: list[str] = []
    yield made
    for webhook_id in made:
        with contextlib.suppress(NotFoundError):
            memory.delete_webhook(webhook_id)


def _register(memory: Memory, hooks: list[str], url: str, **kwargs: Any) -> dict[str, Any]:
    webhook = memory.create_webhook(url, **kwargs)
    hooks.append(webhook["id"])
    return webhook


def drain(memory: Memory, settings: WebhookConfig = FAST, timeout: float = 30) -> None:
    """Run deliverer passes until no active webhook of the store has deliveries pending (a
    failing receiver's are waited for while they back off, up to `timeout`)."""

    async def passes() -> None:
        deliverer = Deliverer(memory, settings)
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=settings.timeout) as client:
            while time.monotonic() < deadline:
                await deliverer.deliver(client)
                rows = memory.query(
                    "MATCH (d:WebhookDelivery {status: 'pending'}) "
                    "MATCH (w:Webhook {id: d.webhook_id}) WHERE w.active AND $owner IS NOT NULL "
                    "RETURN count(d) AS pending",
                    user_id="drain",
                )
                if not rows[0]["pending"]:
                    return
                await asyncio.sleep(0.02)

    asyncio.run(passes())


def test_every_kind_of_write_is_delivered_signed_in_order(
    memory: Memory, user: str, receiver: Receiver, hooks: list[str]
) -> None:
    webhook = _register(memory, hooks, receiver.url, user_id=user, name="mirror")
    assert len(webhook["secret"]) == 64 and webhook["name"] == "mirror"
    assert "secret" not in memory.get_webhooks(user_id=user)["results"][0]

    paris = memory.add("I live in Paris.", user_id=user)["results"][0]["id"]
    memory.update(paris, "Berlin")
    tea = memory.add_relation("Ann", "LIKES", "tea", user_id=user)["results"][0]["id"]
    memory.feedback(tea, "NEGATIVE", reason="not true")
    memory.batch_update([{"memory_id": tea, "data": "coffee"}])
    memory.delete(paris)
    out = memory.add_many([{"messages": "I work at Acme.", "user_id": user}])
    acme = out[0]["results"][0]["id"]
    memory.batch_delete([acme])
    episode = memory.add("I love chess.", user_id=user)
    memory.forget_episode(episode["episodes"][0]["id"], user_id=user)
    memory.feedback(tea, "VERY_NEGATIVE")
    drain(memory)

    events = receiver.events()
    assert [(e["event"], e["memory_id"]) for e in events] == [
        ("memory_add", paris),
        ("memory_update", paris),
        ("memory_add", tea),
        ("memory_feedback", tea),
        ("memory_update", tea),
        ("memory_delete", paris),
        ("memory_add", acme),
        ("memory_delete", acme),
        ("memory_add", events[8]["memory_id"]),  # chess, then forgotten with its episode
        ("memory_delete", events[8]["memory_id"]),
        ("memory_feedback", tea),  # VERY_NEGATIVE: judged, retracted, "tea" restored
        ("memory_delete", tea),
        ("memory_update", tea),
    ]
    texts = [(e["old_memory"], e["new_memory"]) for e in events[:6]]
    assert texts[0] == (None, f"{user} lives in Paris")
    assert texts[1] == (f"{user} lives in Paris", f"{user} lives in Berlin")
    assert texts[3] == ("Ann likes tea", "Ann likes tea")
    assert texts[5] == (f"{user} lives in Berlin", None)
    assert events[3]["feedback"] == "NEGATIVE" and events[3]["reason"] == "not true"
    assert events[12]["new_memory"] == "Ann likes tea"
    assert all(e["user_id"] == user and e["created_at"] for e in events)
    for got in receiver.received:
        assert verify(webhook["secret"], got.body, got.headers[SIGNATURE_HEADER])
        assert got.headers[EVENT_HEADER] == got.event["event"]
    assert len({got.headers[DELIVERY_HEADER] for got in receiver.received}) == len(events)
    listed = memory.get_webhooks(user_id=user)["results"][0]
    assert (listed["pending"], listed["failed"], listed["failures"]) == (0, 0, 0)


def test_scope_event_types_and_pause_choose_what_is_queued(
    memory: Memory, user: str, receiver: Receiver, hooks: list[str]
) -> None:
    other = f"{user}-other"
    coach = _register(memory, hooks, receiver.url, user_id=user, agent_id="coach")
    deletes = _register(memory, hooks, receiver.url, user_id=user, event_types=["memory_delete"])
    memory.add_relation("Ann", "LIKES", "tea", user_id=user, agent_id="coach")
    gone = memory.add_relation("Ann", "LIKES", "jazz", user_id=user)["results"][0]["id"]
    memory.add_relation("Ann", "LIKES", "tea", user_id=other, agent_id="coach")
    memory.delete(gone)
    memory.update_webhook(coach["id"], active=False)
    memory.add_relation("Ann", "LIKES", "rum", user_id=user, agent_id="coach")  # paused
    memory.update_webhook(coach["id"], active=True, event_types=["memory_add"])
    memory.add_relation("Ann", "LIKES", "gin", user_id=user, agent_id="coach")
    drain(memory)

    got = [(r.headers["X-Graphmem-Webhook"], r.event) for r in receiver.received]
    by_webhook = {  # in order per webhook (webhooks are drained side by side)
        webhook: [(e["event"], e["new_memory"] or e["old_memory"]) for w, e in got if w == webhook]
        for webhook in (coach["id"], deletes["id"])
    }
    assert by_webhook == {
        coach["id"]: [("memory_add", "Ann likes tea"), ("memory_add", "Ann likes gin")],
        deletes["id"]: [("memory_delete", "Ann likes jazz")],
    }
    assert len(got) == 3 and all(e["user_id"] == user for _, e in got)


def test_delete_all_tells_each_memory_it_erases(
    memory: Memory, user: str, receiver: Receiver, hooks: list[str]
) -> None:
    everything = _register(memory, hooks, receiver.url, user_id=user, event_types=["memory_delete"])
    coach = _register(memory, hooks, receiver.url, user_id=user, agent_id="coach")
    ids = {
        memory.add_relation("Ann", "LIKES", food, user_id=user, agent_id=agent)["results"][0]["id"]
        for food, agent in (("tea", None), ("rum", "coach"), ("gin", None))
    }
    memory.delete_all(user_id=user)
    drain(memory)
    got = [(r.headers["X-Graphmem-Webhook"], r.event) for r in receiver.received]
    deletes = {
        webhook: {e["memory_id"] for w, e in got if w == webhook and e["event"] == "memory_delete"}
        for webhook in (everything["id"], coach["id"])
    }
    assert deletes[everything["id"]] == ids
    assert len(deletes[coach["id"]]) == 1 and deletes[coach["id"]] < ids  # the coach's one
    assert memory.get_all(user_id=user)["results"] == []
    assert len(memory.get_webhooks(user_id=user)["results"]) == 2  # webhooks stay


def test_a_receiver_that_is_down_gets_everything_in_order_when_back(
    memory: Memory, user: str, receiver: Receiver, hooks: list[str]
) -> None:
    webhook = _register(memory, hooks, receiver.url, user_id=user)
    receiver.stop()
    facts = [
        memory.add_relation("Ann", "LIKES", food, user_id=user)["results"][0]["id"]
        for food in ("tea", "rum", "gin")
    ]
    memory.update(facts[0], "coffee")
    memory.delete(facts[1])
    drain(memory, timeout=0.5)  # a few passes against the closed port, backing off
    down = memory.get_webhook(webhook["id"])
    assert down["pending"] == 5 and down["failures"] >= 2
    assert "ConnectError" in down["last_error"]

    receiver.start()
    drain(memory)
    assert [(e["event"], e["memory_id"]) for e in receiver.events()] == [
        ("memory_add", facts[0]),
        ("memory_add", facts[1]),
        ("memory_add", facts[2]),
        ("memory_update", facts[0]),
        ("memory_delete", facts[1]),
    ]
    back = memory.get_webhook(webhook["id"])
    assert (back["pending"], back["failures"], back["last_error"]) == (0, 0, None)


def test_a_refused_delivery_is_kept_failed_and_the_next_one_goes(
    memory: Memory, user: str, hooks: list[str]
) -> None:
    receiver = Receiver(answer=lambda body: 400 if b"likes rum" in body else 200)
    try:
        webhook = _register(memory, hooks, receiver.url, user_id=user)
        for food in ("tea", "rum", "gin"):
            memory.add_relation("Ann", "LIKES", food, user_id=user)
        drain(memory)
        assert [e["new_memory"] for e in receiver.events()] == ["Ann likes tea", "Ann likes gin"]
        state = memory.get_webhook(webhook["id"])
        assert (state["pending"], state["failed"], state["failures"]) == (0, 1, 0)
    finally:
        receiver.stop()


def test_a_delivery_failing_past_give_up_after_is_dropped_as_failed(
    memory: Memory, user: str, receiver: Receiver, hooks: list[str]
) -> None:
    webhook = _register(memory, hooks, receiver.url, user_id=user)
    receiver.stop()
    memory.add_relation("Ann", "LIKES", "tea", user_id=user)
    time.sleep(0.2)
    drain(memory, WebhookConfig(retry_base=0.05, give_up_after=0.1, timeout=2))
    state = memory.get_webhook(webhook["id"])
    assert (state["pending"], state["failed"]) == (0, 1)


def test_a_write_that_fails_queues_nothing(
    memory: Memory, user: str, receiver: Receiver, hooks: list[str]
) -> None:
    webhook = _register(memory, hooks, receiver.url, user_id=user)
    tea = memory.add_relation("Ann", "LIKES", "tea", user_id=user)["results"][0]["id"]
    with pytest.raises(NotFoundError, match="item 1"):
        memory.batch_delete([tea, "LIKES-0000"])
    assert memory.get_webhook(webhook["id"])["pending"] == 1  # the add only
    drain(memory)
    assert [e["event"] for e in receiver.events()] == ["memory_add"]


def test_webhooks_are_checked_and_deleted_with_their_queue(
    memory: Memory, user: str, hooks: list[str]
) -> None:
    for bad in ("ftp://example.com/x", "not a url", "http://", 7):
        with pytest.raises(ValidationError, match="url"):
            memory.create_webhook(bad, user_id=user)
    with pytest.raises(ValidationError, match="unknown event type"):
        memory.create_webhook("http://127.0.0.1:1/h", ["memory_added"], user_id=user)
    with pytest.raises(ValidationError, match="event_types"):
        memory.create_webhook("http://127.0.0.1:1/h", [], user_id=user)
    with pytest.raises(ValidationError, match="secret"):
        memory.create_webhook("http://127.0.0.1:1/h", user_id=user, secret="short")
    with pytest.raises(ScopeError):
        memory.create_webhook("http://127.0.0.1:1/h")
    with pytest.raises(NotFoundError, match="no webhook"):
        memory.update_webhook(str(uuid.uuid4()), active=False)
    with pytest.raises(ValidationError, match="active"):
        webhook = _register(memory, hooks, "http://127.0.0.1:1/h", user_id=user)
        memory.update_webhook(webhook["id"], active="no")  # type: ignore[arg-type]

    webhook = _register(memory, hooks, "http://127.0.0.1:1/h", user_id=user, secret="s" * 16)
    assert webhook["secret"] == "s" * 16
    memory.update_webhook(webhook["id"], active=False)  # nothing queued for it...
    memory.update_webhook(webhook["id"], active=True, url="https://example.com/hook")
    memory.add_relation("Ann", "LIKES", "tea", user_id=user)  # ...but this, twice
    rotated = memory.update_webhook(webhook["id"], secret="t" * 16)
    assert rotated["secret"] == "t" * 16 and rotated["url"] == "https://example.com/hook"
    assert "secret" not in memory.update_webhook(webhook["id"], name="renamed")
    assert memory.get_webhook(webhook["id"])["pending"] == 1
    out = memory.delete_webhook(webhook["id"])
    assert out["deliveries_dropped"] == 1
    with pytest.raises(NotFoundError):
        memory.get_webhook(webhook["id"])


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writers=st.lists(st.sampled_from(["mine", "theirs"]), min_size=1, max_size=6))
def test_a_webhook_never_gets_another_owners_events(
    memory: Memory, hooks: list[str], writers: list[str]
) -> None:
    owners = {name: f"wh-{uuid.uuid4().hex[:8]}" for name in ("mine", "theirs")}
    receivers = {name: Receiver() for name in owners}
    try:
        for name, owner in owners.items():
            _register(memory, hooks, receivers[name].url, user_id=owner)
        written: dict[str, list[str]] = {name: [] for name in owners}
        for i, name in enumerate(writers):
            out = memory.add_relation("Ann", "LIKES", f"food {i}", user_id=owners[name])
            written[name].append(out["results"][0]["id"])
        drain(memory)
        for name, owner in owners.items():
            events = receivers[name].events()
            assert [e["memory_id"] for e in events] == written[name]
            assert {e["user_id"] for e in events} <= {owner}
    finally:
        for r in receivers.values():
            r.stop()

"""LLM faults: retries with backoff against a scripted OpenAI-compatible server that injects
429 (with Retry-After), 5xx, timeouts, dropped and refused connections and garbage bodies;
and, when the LLM stays down, `add` storing the messages as waiting for extraction, which
`reprocess` extracts later with the same outcome as if they had been extracted on time."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from graphmem import AsyncMemory, Memory
from graphmem.effects import query
from graphmem.errors import ExtractionError, LLMRequestError, LLMUnavailableError
from graphmem.extraction.llm import LLMExtractor
from graphmem.extraction.retry import RetryPolicy, retry_after, retryable_status
from graphmem.messages import Message
from graphmem.ontology import load_ontology
from graphmem.tools import MemoryTools

from .openai_stub import Raw, completion, openai_server

ONTOLOGY = load_ontology()
FAST = RetryPolicy(max_retries=3, deadline=5.0, base=0.01, cap=0.02)
GOOD = json.dumps(
    {
        "entities": [],
        "relations": [{"subject": "Maya", "relation": "LIVES_IN", "object": "Oslo"}],
    }
)
SERVER_ERROR = (500, {"error": {"message": "boom", "type": "server_error"}})


def _scripted(*answers: Any) -> Any:
    """Answer requests with `answers` in turn (a text is a completion), then with GOOD."""
    queue = list(answers)

    def respond(path: str, body: dict[str, Any]) -> Any:
        answer = queue.pop(0) if queue else GOOD
        return (200, completion(answer)) if isinstance(answer, str) else answer

    return respond


def _extract(base_url: str, retry: RetryPolicy = FAST, timeout: float = 5.0) -> Any:
    extractor = LLMExtractor(
        ONTOLOGY, model="m", base_url=base_url, api_key="k", retry=retry, timeout=timeout
    )
    msgs = [Message(role="user", name="Maya", content="I live in Oslo.")]
    return extractor.extract(msgs, speaker="Maya", occurred_at="2024-01-01T00:00:00+00:00")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the policy, without any network --------------------------------------------------------


@given(
    max_retries=st.integers(0, 12),
    deadline=st.floats(0.01, 100.0),
    base=st.floats(0.0, 5.0),
    cap=st.floats(0.0, 30.0),
    faults=st.lists(
        st.tuples(st.floats(0.0, 1.0), st.one_of(st.none(), st.floats(0.0, 50.0)), st.floats(0, 3)),
        min_size=13,
        max_size=13,
    ),
)
def test_the_policy_bounds_retries_waits_and_total_time(
    max_retries: int,
    deadline: float,
    base: float,
    cap: float,
    faults: list[tuple[float, float | None, float]],
) -> None:
    """Whatever the server asks and however long attempts take: at most `max_retries`
    retries, every wait at least the server's Retry-After and at most the larger of it and
    the cap, and every retry starting before the deadline."""
    policy = RetryPolicy(max_retries=max_retries, deadline=deadline, base=base, cap=cap)
    elapsed, retries = 0.0, 0
    for rand, asked, attempt in faults:
        elapsed += min(attempt, policy.attempt_timeout(attempt, elapsed))
        wait = policy.wait(retries, elapsed, retry_after=asked, rand=rand)
        if wait is None:
            break
        assert wait >= (asked or 0.0) and wait <= max(cap, asked or 0.0)
        elapsed += wait
        assert elapsed < deadline
        retries += 1
    assert retries <= max_retries
    assert elapsed <= deadline + 3.0  # the last attempt is cut at the deadline


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    assert [policy.backoff(n, 1.0) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert [policy.backoff(n, 0.0) for n in range(3)] == [0.5, 1.0, 2.0]
    assert policy.attempt_timeout(60.0, 119.0) == 1.0  # the deadline cuts the last attempt


def test_retry_after_in_seconds_milliseconds_and_http_dates() -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    earlier = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": later}, now) == 30.0
    assert retry_after({"retry-after": earlier}, now) == 0.0
    assert retry_after({"retry-after": "-5"}) == 0.0
    assert retry_after({"retry-after": "tomorrow"}) is None
    assert retry_after({}) is None
    assert [s for s in (400, 401, 404, 408, 409, 422, 429, 500, 503) if retryable_status(s)] == [
        408,
        409,
        429,
        500,
        503,
    ]


# -- the extractor against injected faults --------------------------------------------------


def test_429_waits_at_least_retry_after() -> None:
    limited = Raw(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0.4"})
    with openai_server(_scripted(limited)) as (base_url, received):
        found = _extract(base_url)
    assert found.relations[0].object == "Oslo"
    assert len(received) == 2
    assert received[1]["at"] - received[0]["at"] >= 0.4


@pytest.mark.parametrize(
    "fault",
    [
        SERVER_ERROR,
        (503, {"error": {"message": "overloaded"}}),
        Raw(502, b"<html>Bad gateway</html>", {"Content-Type": "text/html"}),
        Raw(200, b'{"choices": [{"message": '),  # truncated JSON
        Raw(200, b"<html>a proxy page</html>", {"Content-Type": "text/html"}),
        Raw(200, b"[1, 2, 3]"),  # JSON, but not a chat completion
        Raw(drop=True),  # the connection closes unanswered
    ],
    ids=["500", "503", "502-html", "truncated-json", "html-200", "json-list", "dropped"],
)
def test_server_faults_and_garbage_bodies_are_retried(fault: Any) -> None:
    with openai_server(_scripted(fault, fault)) as (base_url, received):
        found = _extract(base_url)
    assert found.relations[0].object == "Oslo"
    assert len(received) == 3  # two faults, then the answer


def test_a_malformed_model_reply_gets_one_repair_call_not_a_retry() -> None:
    with (
        openai_server(_scripted("not json", "still not json")) as (base_url, received),
        pytest.raises(ExtractionError, match="invalid extraction twice") as info,
    ):
        _extract(base_url)
    assert not isinstance(info.value, LLMUnavailableError)
    assert len(received) == 2


def test_a_server_that_stays_down_is_unavailable_after_the_retries() -> None:
    with openai_server(lambda path, body: SERVER_ERROR) as (base_url, received):
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match="4 attempt.*HTTP 500") as info:
            _extract(base_url)
    assert len(received) == FAST.max_retries + 1
    assert time.monotonic() - started < 2.0
    assert isinstance(info.value, ExtractionError)  # what callers caught before


def test_the_deadline_bounds_the_whole_request() -> None:
    policy = RetryPolicy(max_retries=20, deadline=0.6, base=0.05, cap=0.05)
    with openai_server(lambda path, body: SERVER_ERROR) as (base_url, received):
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError):
            _extract(base_url, retry=policy)
        took = time.monotonic() - started
    assert took < 0.6 + 1.0 and 3 <= len(received) < 21


def test_a_retry_after_past_the_deadline_gives_up_at_once() -> None:
    busy = Raw(429, b'{"error": {"message": "quota"}}', {"Retry-After": "3600"})
    with openai_server(lambda path, body: busy) as (base_url, received):
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match="HTTP 429"):
            _extract(base_url)
    assert len(received) == 1 and time.monotonic() - started < 1.0


def test_timeouts_are_retried_within_the_deadline() -> None:
    slow = Raw(200, json.dumps(completion(GOOD)).encode(), delay=2.0)
    with openai_server(_scripted(slow)) as (base_url, received):
        found = _extract(base_url, timeout=0.5)
    assert found.relations[0].object == "Oslo" and len(received) >= 2
    policy = RetryPolicy(max_retries=10, deadline=1.2, base=0.01, cap=0.01)
    with openai_server(lambda path, body: slow) as (base_url, received):
        started = time.monotonic()
        with pytest.raises(LLMUnavailableError, match="timed out"):
            _extract(base_url, retry=policy, timeout=0.4)
        took = time.monotonic() - started
    assert took < 1.2 + 1.0 and len(received) >= 2  # the last attempt is cut to fit


def test_a_refused_connection_is_retried_then_unavailable() -> None:
    base_url = f"http://127.0.0.1:{_free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="connection"):
        _extract(base_url)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    ("status", "advice"),
    [(400, "response_format"), (401, "api_key"), (404, "model name"), (422, "context")],
)
def test_a_refused_request_fails_at_once_saying_what_to_fix(status: int, advice: str) -> None:
    refused = (status, {"error": {"message": "no", "type": "invalid_request_error"}})
    with (
        openai_server(lambda path, body: refused) as (base_url, received),
        pytest.raises(LLMRequestError, match=advice),
    ):
        _extract(base_url)
    assert len(received) == 1


# -- the memory: waiting episodes and reprocess ---------------------------------------------

TOLD = {  # what the scripted model extracts from each sentence (the speaker is Maya)
    "I work at Acme.": [("WORKS_AT", "Acme")],
    "I moved to Berlin.": [("LIVES_IN", "Berlin")],
    "I left Acme and now work at Globex.": [("WORKS_AT", "Globex")],
    "I moved to Paris.": [("LIVES_IN", "Paris")],
    "I live in Oslo.": [("LIVES_IN", "Oslo")],
    "I live in Rome.": [("LIVES_IN", "Rome")],
    "I like tea.": [("LIKES", "tea")],
}


class World:
    """The scripted LLM: up (it extracts TOLD's facts) or down (every request gets `fault`);
    `told` records, in order, the sentences of the requests it answered."""

    def __init__(self) -> None:
        self.fault: Any = None
        self.told: list[str] = []

    def __call__(self, path: str, body: dict[str, Any]) -> Any:
        if self.fault is not None:
            return self.fault
        turn = body["messages"][-1]["content"]
        said = [s for s in TOLD if s in turn]
        self.told.extend(said)
        relations = [
            {"subject": "Maya", "relation": r, "object": o, "event": "ADD"}
            for s in said
            for r, o in TOLD[s]
        ]
        return 200, completion(json.dumps({"entities": [], "relations": relations}))

    def down(self, fault: Any = SERVER_ERROR) -> None:
        self.fault = fault

    def up(self) -> None:
        self.fault = None


def _llm_config(config: dict[str, Any], base_url: str) -> dict[str, Any]:
    llm = {"model": "scripted", "base_url": base_url, "api_key": "k", "timeout": 2.0}
    retries = {"max_retries": 2, "retry_deadline": 3.0, "backoff_base": 0.01, "backoff_max": 0.02}
    return {**config, "extractor": "llm", "llm": {**llm, **retries}}


@contextmanager
def _llm(config: dict[str, Any], port: int = 0) -> Iterator[tuple[Memory, World, list[Any]]]:
    world = World()
    with (
        openai_server(world, port=port) as (base_url, received),
        Memory(_llm_config(config, base_url)) as m,
    ):
        yield m, world, received


def _say(m: Memory, text: str, user: str, when: str, **kwargs: Any) -> dict[str, Any]:
    msg = {"role": "user", "name": "Maya", "content": text}
    return m.add(msg, user_id=user, timestamp=when, **kwargs)


def _waiting(m: Memory, user: str) -> list[dict[str, Any]]:
    rows = m.store.read(query("episode_waiting", owner=f"user:{user}", agent_id=None, run_id=None))
    return [r["episode"] for r in rows]


def _believed(m: Memory, user: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the memory holds now, held true at several times (valid time), and the version
    chains of its current memories."""

    def facts(**when: Any) -> list[tuple[Any, ...]]:
        found = m.get_all(user_id=user, **when)["results"]
        return sorted((f["memory"], f["valid_from"], f["valid_to"]) for f in found)

    views = {"now": facts()}
    for day in ("2024-02-01", "2024-04-01", "2024-07-01", "2024-10-01"):
        views[day] = facts(as_of=day)
    for fact in m.get_all(user_id=user)["results"]:  # each memory's chain of versions
        views[fact["memory"]] = [
            (h["event"], h["new_memory"], h["valid_from"]) for h in m.history(fact["id"])
        ]
    return views


STORY = [
    ("I work at Acme.", "2024-01-10"),
    ("I moved to Berlin.", "2024-03-01"),
    ("I left Acme and now work at Globex.", "2024-06-01"),
    ("I moved to Paris.", "2024-09-01"),
]


def test_an_outage_keeps_the_messages_and_reprocess_matches_an_on_time_add(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    control, late = f"{user}-control", f"{user}-late"
    with _llm(config) as (m, world, received):
        for text, when in STORY:
            _say(m, text, control, when)

        _say(m, STORY[0][0], late, STORY[0][1])
        world.down()
        before = len(received)
        waiting = [_say(m, text, late, when) for text, when in STORY[1:3]]
        assert len(received) - before == 2 * 3  # each add: one request and its 2 retries
        for result in waiting:
            assert result["results"] == [] and result["relations"] == []
            assert result["waiting"] == [e["id"] for e in result["episodes"]]
            assert result["episodes"][0]["extraction"] == "waiting"
            assert "HTTP 500" in result["extraction_error"]
        stored = _waiting(m, late)
        assert [e["content"] for e in stored] == [STORY[1][0], STORY[2][0]]  # nothing lost
        assert m.search("Berlin", user_id=late, include_episodes=True)["results"]

        world.up()
        _say(m, STORY[3][0], late, STORY[3][1])  # a later fact, learned while the others wait
        done = m.reprocess(user_id=late)
        assert done["reprocessed"] == [e["id"] for e in stored] and done["waiting"] == []
        assert [e["event"] for e in done["results"]] == ["ADD", "UPDATE"]
        assert _waiting(m, late) == []
        assert _believed(m, late) == _believed(m, control)
        assert m.reprocess(user_id=late)["reprocessed"] == []  # nothing is extracted twice
        for who in (control, late):
            m.delete_all(user_id=who)


def test_reprocess_goes_in_occurrence_order_and_keeps_waiting_while_down(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    control = f"{user}-control"
    with _llm(config) as (m, world, received):
        world.down(Raw(503, b"overloaded", {"Content-Type": "text/plain", "Retry-After": "0"}))
        _say(m, "I live in Oslo.", user, "2024-05-01")
        _say(m, "I live in Rome.", user, "2024-02-01")  # said earlier, added later
        before = len(received)
        still = m.reprocess(user_id=user)
        assert len(received) - before == 3  # one call's attempts: the run stops there
        assert still["reprocessed"] == [] and len(still["waiting"]) == 2
        assert "still unreachable" in still["message"] and "HTTP 503" in still["errors"][0]["error"]
        assert [e["content"] for e in _waiting(m, user)] == ["I live in Rome.", "I live in Oslo."]

        world.up()
        world.told.clear()
        first = m.reprocess(user_id=user, limit=1)
        assert world.told == ["I live in Rome."] and len(first["waiting"]) == 1
        done = m.reprocess(user_id=user)
        assert world.told == ["I live in Rome.", "I live in Oslo."]
        assert len(done["reprocessed"]) == 1 and done["waiting"] == []
        _say(m, "I live in Rome.", control, "2024-02-01")
        _say(m, "I live in Oslo.", control, "2024-05-01")
        assert _believed(m, user) == _believed(m, control)
        assert [f["memory"] for f in m.get_all(user_id=user)["results"]] == ["Maya lives in Oslo"]
        for who in (control, user):
            m.delete_all(user_id=who)


def test_no_infer_never_waits_a_tool_says_waiting_a_refused_request_stores_nothing(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    with _llm(config) as (m, world, received):
        world.down()
        plain = _say(m, "I like tea.", user, "2024-01-01", infer=False)
        assert "waiting" not in plain and received == [] and _waiting(m, user) == []
        told = MemoryTools(m, user_id=user, speaker="Maya").call("add_memory", {"text": "Hi."})
        assert told["stored"] == [] and told["waiting_for_extraction"] is True
        m.forget_episode(told["episode_ids"][0], user_id=user)
        received.clear()
        world.down((401, {"error": {"message": "bad key", "type": "auth"}}))
        with pytest.raises(LLMRequestError, match="api_key"):
            _say(m, "I live in Oslo.", user, "2024-01-02")
        assert len(received) == 1
        assert m.delete_all(user_id=user)["deleted"]["episodes"] == 1  # the infer=False one


def test_waiting_episodes_can_be_forgotten_erased_exported_and_imported(
    server: Memory, config: dict[str, Any], user: str, tmp_path: Path
) -> None:
    with _llm(config) as (m, world, _):
        world.down()
        first = _say(m, "I live in Oslo.", user, "2024-01-01")["waiting"][0]
        _say(m, "I like tea.", user, "2024-01-02")
        assert m.forget_episode(first, user_id=user)["results"] == []
        assert [e["content"] for e in _waiting(m, user)] == ["I like tea."]

        m.export(tmp_path / "out.json", user_id=user)
        exported = json.loads((tmp_path / "out.json").read_text())
        text = json.dumps(exported)
        assert '"extraction": "waiting"' in text and "extraction_error" in text
        assert m.delete_all(user_id=user)["deleted"]["episodes"] == 1
        assert _waiting(m, user) == []
        m.import_(tmp_path / "out.json")
        assert [e["content"] for e in _waiting(m, user)] == ["I like tea."]

        world.up()
        assert len(m.reprocess()["reprocessed"]) >= 1  # every owner's, this one's included
        assert [f["memory"] for f in m.get_all(user_id=user)["results"]] == ["Maya likes tea"]
        m.delete_all(user_id=user)


def test_add_many_and_ingest_store_waiting_items_with_one_call_sequence(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    items = [
        {"messages": {"role": "user", "name": "Maya", "content": text}, "user_id": user,
         "timestamp": when}
        for text, when in STORY
    ]  # fmt: skip
    items[1] = {**items[1], "infer": False}
    with _llm(config) as (m, world, received):
        world.down()
        results = m.add_many(items)
        assert len(received) == 3  # the first inferring item's attempts only
        assert [bool(r.get("waiting")) for r in results] == [True, False, True, True]
        assert len(_waiting(m, user)) == 3
        world.up()
        done = m.reprocess(user_id=user)
        assert len(done["reprocessed"]) == 3 and done["waiting"] == []
        facts = sorted(f["memory"] for f in m.get_all(user_id=user)["results"])
        assert facts == ["Maya lives in Paris", "Maya works at Globex"]
        m.delete_all(user_id=user)

        world.down()
        lines = [{"content": t, "name": "Maya", "timestamp": w} for t, w in STORY]
        summary = m.ingest(lines, user_id=user, progress=False)
        assert (summary["stored"], summary["waiting"]) == (4, 4)
        m.delete_all(user_id=user)


def test_a_refused_connection_then_a_server_on_that_port(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    port = _free_port()
    with Memory(_llm_config(config, f"http://127.0.0.1:{port}/v1")) as m:
        result = _say(m, "I live in Oslo.", user, "2024-01-01")
        assert "connection" in result["extraction_error"] and len(result["waiting"]) == 1
        with openai_server(World(), port=port):
            done = m.reprocess(user_id=user)
        assert done["reprocessed"] == result["waiting"]
        assert [f["memory"] for f in m.get_all(user_id=user)["results"]] == ["Maya lives in Oslo"]
        m.delete_all(user_id=user)


def test_async_memory_reprocess(server: Memory, config: dict[str, Any], user: str) -> None:
    world = World()

    async def scenario(base_url: str) -> dict[str, Any]:
        async with AsyncMemory(_llm_config(config, base_url)) as m:
            world.down()
            msg = {"role": "user", "name": "Maya", "content": "I like tea."}
            waited = await m.add(msg, user_id=user, timestamp="2024-01-01")
            world.up()
            done = await m.reprocess(user_id=user)
            await m.delete_all(user_id=user)
            return {"waited": waited, "done": done}

    with openai_server(world) as (base_url, _):
        outcome = asyncio.run(scenario(base_url))
    assert outcome["done"]["reprocessed"] == outcome["waited"]["waiting"]
    assert [e["memory"] for e in outcome["done"]["results"]] == ["Maya likes tea"]


@pytest.mark.store
def test_cli_reprocess(server: Memory, config: dict[str, Any], user: str, tmp_path: Path) -> None:
    with _llm(config) as (m, world, _):
        world.down()
        waited = _say(m, "I like tea.", user, "2024-01-01")["waiting"]
        world.up()
        config_file = tmp_path / "graphmem.yaml"
        config_file.write_text(yaml.safe_dump(_llm_config(config, m.config.llm.base_url or "")))
        out = subprocess.run(
            [sys.executable, "-m", "graphmem.cli", "--config", str(config_file), "--json",
             "reprocess", "--user", user],
            capture_output=True, text=True, timeout=180, cwd=tmp_path, env=dict(os.environ),
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["reprocessed"] == waited
        assert [f["memory"] for f in m.get_all(user_id=user)["results"]] == ["Maya likes tea"]
        m.delete_all(user_id=user)


def test_the_server_reprocesses_in_the_background(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    from graphmem.config import MemoryConfig
    from graphmem.server.backlog import reprocessing

    async def serve_a_while(m: Memory, settings: MemoryConfig) -> None:
        async with reprocessing(m, settings):
            for _ in range(100):
                await asyncio.sleep(0.1)
                if not _waiting(m, user):
                    return

    with _llm(config) as (m, world, _):
        world.down()
        _say(m, "I like tea.", user, "2024-01-01")
        world.up()
        settings = m.config.model_copy(
            update={"llm": m.config.llm.model_copy(update={"reprocess_interval": 0.2})}
        )
        asyncio.run(serve_a_while(m, settings))
        assert _waiting(m, user) == []
        assert [f["memory"] for f in m.get_all(user_id=user)["results"]] == ["Maya likes tea"]
        m.delete_all(user_id=user)

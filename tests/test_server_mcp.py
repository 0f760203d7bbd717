"""graphmem's MCP server, driven by the official `mcp` client against real server processes.

One embedded home serves the whole module, shared by three processes (the first to open it
owns the engine, the others connect to it):

* `multi`: a stdio server started with --allow-user-id (it writes for Ida and for Bob);
* `bound`: a stdio server bound to Ida (its tools have no user_id; it must never see Bob's);
* `http`: the streamable HTTP endpoint (`graphmem.server.mcp.mount`) under uvicorn, bound to
  Ida, reached with the client's streamable HTTP transport.

The stdio servers are the real command, ``graphmem --config FILE mcp [--user-id U |
--allow-user-id]`` (`graphmem.server.mcp.run_stdio`). The clients run in one event loop in a
background thread (an anyio blocking portal), so the tests themselves are plain functions.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import CallToolResult

from graphmem.tools import TOOLS, MemoryTools

from .helpers.served import served, write_config
from .openai_stub import openai_server

pytestmark = pytest.mark.store

IDA, BOB = "Ida", "Bob"
NAMES = list(TOOLS)
SCOPE = {"user_id", "agent_id", "run_id"}
MEMORY_ID_TOOLS = (
    "get_memory",
    "update_memory",
    "delete_memory",
    "memory_history",
    "memory_feedback",
)


class Session:
    """A connected MCP client, called synchronously through the portal."""

    def __init__(self, portal: BlockingPortal, client: Client, log: Path) -> None:
        self.portal, self.client, self.log = portal, client, log

    def tools(self) -> dict[str, Any]:
        return {t.name: t for t in self.portal.call(self._list)}

    async def _list(self) -> list[Any]:
        return list((await self.client.list_tools()).tools)

    def call(self, name: str, arguments: dict[str, Any]) -> CallToolResult:
        return self.portal.call(self.client.call_tool, name, arguments)

    def ok(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = self.call(name, arguments)
        assert not result.is_error, (name, arguments, result.content, self.log.read_text())
        assert isinstance(result.structured_content, dict)
        assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
        return result.structured_content

    def error(self, name: str, arguments: dict[str, Any]) -> tuple[str, str]:
        """The (type, message) of a call that must fail as a tool error."""
        result = self.call(name, arguments)
        assert result.is_error, (name, arguments, result.structured_content)
        text = result.content[0].text  # type: ignore[union-attr]
        if result.structured_content is None:  # the SDK's own errors (e.g. an unknown tool)
            return "", text
        error = result.structured_content["error"]
        assert text == f"{error['type']}: {error['message']}"
        return error["type"], error["message"]


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mcp") / "home"


@pytest.fixture(scope="module")
def config_file(home: Path) -> Path:
    return write_config(home)


def _connect(
    portal: BlockingPortal, transport: AbstractAsyncContextManager[Any], log: Path
) -> Iterator[Session]:
    with portal.wrap_async_context_manager(Client(transport)) as client:
        yield Session(portal, client, log)


def _stdio(portal: BlockingPortal, config: Path, *flags: str) -> Iterator[Session]:
    log = config.parent / f"mcp-stdio{'-'.join(flags)}.err"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "graphmem.cli", "--config", str(config), "mcp", *flags],
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    with open(log, "w") as errlog:
        yield from _connect(portal, stdio_client(params, errlog=errlog), log)
    # stderr gets warnings and errors only: a tool that crashed would have logged there
    assert not log.read_text().strip(), log.read_text()


@pytest.fixture(scope="module")
def multi(portal: BlockingPortal, config_file: Path) -> Iterator[Session]:
    yield from _stdio(portal, config_file, "--allow-user-id")


@pytest.fixture(scope="module")
def bound(portal: BlockingPortal, config_file: Path, multi: Session) -> Iterator[Session]:
    yield from _stdio(portal, config_file, "--user-id", IDA)  # after `multi` owns the store


@pytest.fixture(scope="module")
def facts(multi: Session) -> dict[str, Any]:
    """Ida's and Bob's facts, written through the --allow-user-id server."""
    ida = multi.ok("add_memory", {"text": "I live in Berlin and I work at Acme.", "user_id": IDA})
    bob = multi.ok("add_memory", {"text": "I live in Rome.", "user_id": BOB})
    return {"ida": ida, "bob": bob, "bob_id": bob["stored"][0]["id"]}


# -- tools and schemas -----------------------------------------------------------------------------


def test_tools_are_listed_with_their_schemas(bound: Session, multi: Session) -> None:
    bound_tools, multi_tools = bound.tools(), multi.tools()
    assert list(bound_tools) == NAMES == list(multi_tools)
    assert len(NAMES) == 14
    for name in NAMES:
        spec = TOOLS[name]
        schema, wide = bound_tools[name].input_schema, multi_tools[name].input_schema
        assert schema == spec.parameters  # the bound server: exactly the shared schema
        assert not SCOPE & set(schema["properties"])
        assert schema["additionalProperties"] is False
        assert set(wide["properties"]) >= SCOPE and not SCOPE & set(wide["required"])
        assert {k: v for k, v in wide["properties"].items() if k not in SCOPE} == (
            schema["properties"]
        )
        assert wide["required"] == schema["required"]
        assert len(bound_tools[name].description) > 40
        hints = bound_tools[name].annotations
        assert hints.read_only_hint is spec.read_only
        assert hints.destructive_hint is spec.destructive
    search = bound_tools["search_memory"].input_schema
    assert search["required"] == ["query"]
    assert search["properties"]["limit"] | {"description": ""} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 50,
        "description": "",
    }
    for name in MEMORY_ID_TOOLS:
        assert "memory_id" in bound_tools[name].input_schema["required"]
    assert bound_tools["delete_all_memories"].input_schema["required"] == ["confirm"]
    assert bound_tools["changes"].input_schema["required"] == ["since"]
    # MemoryTools offers three of the same tools: the very same definitions, no drift
    for d in MemoryTools.definitions():
        assert d["parameters"] == bound_tools[d["name"]].input_schema
        assert d["description"] == bound_tools[d["name"]].description


# -- the memory over stdio -------------------------------------------------------------------------


def test_add_search_history_round_trip(multi: Session, facts: dict[str, Any]) -> None:
    stored = {e["memory"]: e for e in facts["ida"]["stored"]}
    assert set(stored) == {"Ida lives in Berlin", "Ida works at Acme"}
    assert {e["event"] for e in stored.values()} == {"ADD"}
    assert len(facts["ida"]["episode_ids"]) == 1
    found = multi.ok("search_memory", {"query": "Where does Ida live?", "user_id": IDA})
    hit = next(m for m in found["memories"] if m["memory"] == "Ida lives in Berlin")
    assert hit["id"] == stored["Ida lives in Berlin"]["id"] and hit["type"] == "fact"
    job = stored["Ida works at Acme"]["id"]
    moved = multi.ok("add_memory", {"text": "I left Acme. Now I work at Globex.", "user_id": IDA})
    assert [(e["event"], e["id"]) for e in moved["stored"]] == [("UPDATE", job)]
    history = multi.ok("memory_history", {"memory_id": job, "user_id": IDA})["history"]
    assert [(e["event"], e["old_memory"], e["new_memory"]) for e in history] == [
        ("ADD", None, "Ida works at Acme"),
        ("UPDATE", "Ida works at Acme", "Ida works at Globex"),
    ]
    current = multi.ok("get_memory", {"memory_id": job, "user_id": IDA})["memory"]
    assert current["memory"] == "Ida works at Globex" and current["version"] == 2
    entities = multi.ok("search_entities", {"query": "Globex", "user_id": IDA})["entities"]
    assert entities[0]["name"] == "Globex" and entities[0]["type"] == "Organization"
    near = multi.ok("neighbors", {"entity": "Ida", "user_id": IDA, "types": ["LIVES_IN"]})
    assert [f["memory"] for f in near["facts"]] == ["Ida lives in Berlin"]
    judged = multi.ok(
        "memory_feedback",
        {"memory_id": job, "feedback": "POSITIVE", "reason": "confirmed", "user_id": IDA},
    )
    assert (judged["feedback"]["feedback"], judged["feedback"]["reason"]) == (
        "POSITIVE",
        "confirmed",
    )
    assert judged["events"] == []
    history = multi.ok("memory_history", {"memory_id": job, "user_id": IDA})["history"]
    assert [e["event"] for e in history] == ["ADD", "UPDATE", "FEEDBACK"]
    since = multi.ok("changes", {"since": "2000-01-01", "user_id": IDA})["changes"]
    assert {(e["event"], e["memory_id"]) for e in since} >= {
        ("ADD", job),
        ("UPDATE", job),
        ("FEEDBACK", job),
    }


def test_scopes_never_mix(multi: Session, bound: Session, facts: dict[str, Any]) -> None:
    bob_id = facts["bob_id"]
    ida_ids = {e["id"] for e in facts["ida"]["stored"]}
    # the --allow-user-id server: each call sees the scope it names, and only that one
    assert multi.ok("get_memory", {"memory_id": bob_id, "user_id": BOB})["memory"]["target"] == (
        "Rome"
    )
    as_ida = multi.ok("get_memories", {"user_id": IDA})["memories"]
    assert {m["id"] for m in as_ida} == ida_ids
    kind, message = multi.error("get_memory", {"memory_id": bob_id, "user_id": IDA})
    assert (kind, message) == ("NotFoundError", f"no memory with id {bob_id!r}")
    found = multi.ok("search_memory", {"query": "Where does Bob live?", "user_id": IDA})
    assert all("Rome" not in (m["memory"] or "") for m in found["memories"])
    assert multi.error("get_memories", {})[0] == "ScopeError"  # no user configured: no mixing

    # the server bound to Ida: Bob's memories do not exist for it, and it cannot name Bob
    assert {m["id"] for m in bound.ok("get_memories", {})["memories"]} == ida_ids
    work = bound.ok("get_memories", {"category": "work"})["memories"]
    assert [(m["source"], m["relationship"], m["categories"]) for m in work] == [
        (IDA, "WORKS_AT", ["work"])
    ]
    assert bound.ok("get_memory", {"memory_id": next(iter(ida_ids))})["memory"]["source"] == IDA
    found = bound.ok("search_memory", {"query": "Where does Bob live? Rome"})
    assert found["memories"] and all("Rome" not in m["memory"] for m in found["memories"])
    assert all(
        e["name"] != "Rome" for e in bound.ok("search_entities", {"query": "Rome"})["entities"]
    )
    for name, extra in [
        ("get_memory", {}),
        ("memory_history", {}),
        ("delete_memory", {}),
        ("update_memory", {"object": "Oslo"}),
        ("memory_feedback", {"feedback": "VERY_NEGATIVE"}),
    ]:
        kind, message = bound.error(name, {"memory_id": bob_id, **extra})
        assert (kind, message) == ("NotFoundError", f"no memory with id {bob_id!r}"), name
    kind, message = bound.error("search_memory", {"query": "Rome", "user_id": BOB})
    assert kind == "ScopeRefusedError" and f"acts for user {IDA!r} only" in message
    for ids in ({"user_id": IDA}, {"run_id": "r1"}):  # no scope argument at all, not even Ida's
        kind, message = bound.error("get_memories", ids)
        assert kind == "ScopeRefusedError" and "its tools take no" in message
    # and nothing of Bob's changed
    bob = multi.ok("get_memory", {"memory_id": bob_id, "user_id": BOB})["memory"]
    assert (bob["memory"], bob["status"], bob["version"]) == ("Bob lives in Rome", "current", 1)


def test_bad_arguments_are_tool_errors(bound: Session, facts: dict[str, Any]) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("search_memory", {"query": 5}, "query: 5 is not of type 'string'"),
        ("search_memory", {"query": "x", "limit": 0}, "limit: 0 is less than the minimum of 1"),
        ("search_memory", {"query": "x", "limit": 51}, "limit: 51 is greater than the maximum"),
        ("search_memory", {"query": "x", "limit": "5"}, "limit: '5' is not of type 'integer'"),
        ("search_memory", {}, "'query' is a required property"),
        ("add_memory", {"text": ""}, "text: '' should be non-empty"),
        ("get_memories", {"page_size": 1000}, "page_size: 1000 is greater than the maximum"),
        ("neighbors", {"entity": "Ida", "types": "WORKS_AT"}, "types: 'WORKS_AT' is not of type"),
        ("delete_all_memories", {"confirm": False}, "confirm: True was expected"),
        ("get_memory", {"memory_id": "m", "extra": 1}, "'extra' was unexpected"),
    ]
    for name, arguments, expected in cases:
        kind, message = bound.error(name, arguments)
        assert kind == "ValidationError" and message.startswith(f"{name}: "), (name, message)
        assert expected in message, (name, message)
    assert bound.error("get_memory", {"memory_id": "no-such-id"}) == (
        "NotFoundError",
        "no memory with id 'no-such-id'",
    )
    assert bound.error("update_memory", {"memory_id": "no-such-id"})[0] == "ValidationError"
    kind, message = bound.error("neighbors", {"entity": "Nobody"})
    assert kind == "NotFoundError" and "Nobody" in message
    kind, message = bound.error("changes", {"since": "not a time"})
    assert kind == "ValidationError" and "since" in message
    kind, message = bound.error("get_memories", {"relationship": "works-at!"})
    assert kind == "InvalidNameError"
    assert "drop_tables" in bound.error("drop_tables", {})[1]
    # the server kept working through all of that
    found = bound.ok("search_memory", {"query": "Where does Ida live?", "limit": 3})
    assert "Ida lives in Berlin" in [m["memory"] for m in found["memories"]]
    assert len(found["memories"]) <= 3


# -- one agent turn through a scripted OpenAI-compatible model -------------------------------------


def test_agent_turn_calls_search_memory(bound: Session, facts: dict[str, Any]) -> None:
    scripted = {"query": "Where does Ida live?", "limit": 3}

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        last = body["messages"][-1]
        if last["role"] == "user":
            message: dict[str, Any] = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "search_memory", "arguments": json.dumps(scripted)},
                    }
                ],
            }
        else:  # the answer is made of what the tool returned
            best = json.loads(last["content"])["memories"][0]["memory"]
            message = {"role": "assistant", "content": f"From memory: {best}."}
        return 200, {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "scripted",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    "message": message,
                }
            ],
        }

    tools = [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.input_schema,
            },
        }
        for t in bound.tools().values()
    ]
    calls: list[tuple[str, dict[str, Any]]] = []
    with openai_server(respond) as (base_url, received):
        client = openai.OpenAI(base_url=base_url, api_key="k")
        messages: list[Any] = [{"role": "user", "content": "Where do I live?"}]
        answer = None
        for _ in range(4):
            reply = client.chat.completions.create(model="scripted", messages=messages, tools=tools)  # type: ignore[arg-type]
            choice = reply.choices[0].message
            if not choice.tool_calls:
                answer = choice.content
                break
            messages.append(choice.model_dump(exclude_none=True))
            for call in choice.tool_calls:
                arguments = json.loads(call.function.arguments)  # type: ignore[union-attr]
                calls.append((call.function.name, arguments))  # type: ignore[union-attr]
                result = bound.call(call.function.name, arguments)  # type: ignore[union-attr]
                content = result.content[0].text  # type: ignore[union-attr]
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
    assert calls == [("search_memory", scripted)]
    assert len(received) == 2
    assert [t["function"]["name"] for t in received[0]["body"]["tools"]] == NAMES
    tool_message = received[1]["body"]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert "Ida lives in Berlin" in tool_message["content"]
    assert answer == "From memory: Ida lives in Berlin."


# -- streamable HTTP -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(portal: BlockingPortal, home: Path, multi: Session) -> Iterator[Session]:
    """`/mcp` of a real `graphmem serve` bound to Ida, on the same home, with its token."""
    with served(home, "--user-id", IDA) as server:

        @contextlib.asynccontextmanager
        async def transport() -> AsyncIterator[Any]:
            async with (
                create_mcp_http_client(headers=server.headers) as http_client,
                streamable_http_client(f"{server.url}/mcp", http_client=http_client) as streams,
            ):
                yield streams

        yield from _connect(portal, transport(), home.parent / "mcp-http.err")
        assert server.stop() == 0


def test_mcp_over_http_needs_the_token(http: Session, home: Path) -> None:
    url = json.loads((home / "serve.json").read_text())["url"]
    assert httpx.post(f"{url}/mcp", json={}).status_code == 401


def test_streamable_http_endpoint(http: Session, facts: dict[str, Any]) -> None:
    tools = http.tools()
    assert list(tools) == NAMES
    assert not SCOPE & set(tools["search_memory"].input_schema["properties"])
    found = http.ok("search_memory", {"query": "Where does Ida live?"})
    assert "Ida lives in Berlin" in [m["memory"] for m in found["memories"]]
    assert http.error("get_memory", {"memory_id": facts["bob_id"]})[0] == "NotFoundError"
    assert http.error("search_memory", {"query": "x", "limit": 0})[0] == "ValidationError"
    assert http.ok("search_entities", {"query": "Berlin"})["entities"][0]["name"] == "Berlin"

"""graphmem in the OpenAI Agents SDK, with the real SDK and no network: a scripted model server
(`tests/openai_stub.py`) answers the SDK's Chat Completions calls, and tracing is off.

* `function_tools`: an `agents.Agent` calls add_memory, then search_memory, then answers, in ONE
  `Runner.run`, over a `Memory` and over an `AsyncMemory`; the facts land in graphmem and the
  search result reaches the model.
* `mcp_server`: the SDK's stdio MCP client starts a real ``graphmem mcp`` (its own embedded
  home), lists and calls the tools, and an agent uses them through it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, OpenAIChatCompletionsModel, RunConfig, Runner, set_tracing_disabled
from openai import AsyncOpenAI

from graphmem import AsyncMemory, Memory
from graphmem.integrations.openai_agents import function_tools, mcp_server
from graphmem.tools import TOOLS, MemoryTools

from .helpers.served import write_config
from .openai_stub import openai_server

pytestmark = pytest.mark.store

set_tracing_disabled(True)  # the SDK would export traces to api.openai.com
LOCAL = RunConfig(tracing_disabled=True)


def tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def scripted(*messages: dict[str, Any]) -> Callable[[str, dict[str, Any]], tuple[int, Any]]:
    """A chat completions responder that replies with `messages`, one per request."""
    replies = iter(messages)

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        assert path == "/v1/chat/completions", path
        message = next(replies)
        return 200, {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    "message": message,
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return respond


def model(base_url: str) -> OpenAIChatCompletionsModel:
    return OpenAIChatCompletionsModel(
        model="scripted", openai_client=AsyncOpenAI(base_url=base_url, api_key="test")
    )


def tool_replies(request: dict[str, Any]) -> dict[str, str]:
    """The tool results a model request carries, by tool call id (the text of content parts
    joined: MCP results come as parts)."""
    return {
        m["tool_call_id"]: (
            m["content"]
            if isinstance(m["content"], str)
            else "".join(part["text"] for part in m["content"])
        )
        for m in request["body"]["messages"]
        if m["role"] == "tool"
    }


@pytest.fixture
def remember_then_recall() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A model that stores what the user said, searches for it, then answers."""
    respond = scripted(
        tool_call("call_add", "add_memory", {"text": "I moved to Porto."}),
        tool_call("call_search", "search_memory", {"query": "Where does Ida live?"}),
        {"role": "assistant", "content": "You live in Porto now."},
    )
    with openai_server(respond) as served:
        yield served


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_agent_uses_the_memory_tools_in_one_turn(
    kind: str,
    memory: Memory,
    config: dict[str, Any],
    user: str,
    remember_then_recall: tuple[str, list[dict[str, Any]]],
) -> None:
    base_url, received = remember_then_recall

    async def turn() -> Any:
        backing = AsyncMemory(config) if kind == "async" else memory
        agent = Agent(
            name="assistant",
            instructions="Use the memory tools.",
            tools=function_tools(MemoryTools(backing, user_id=user, speaker="Ida")),
            model=model(base_url),
        )
        try:
            return await Runner.run(agent, "I moved to Porto. Where do I live?", run_config=LOCAL)
        finally:
            if isinstance(backing, AsyncMemory):
                await backing.close()

    result = asyncio.run(turn())
    assert result.final_output == "You live in Porto now."
    assert len(received) == 3  # one Runner.run: two tool rounds and the answer
    sent = {t["function"]["name"]: t["function"] for t in received[0]["body"]["tools"]}
    assert list(sent) == ["search_memory", "add_memory", "get_entity"]
    assert sent["search_memory"]["parameters"] == TOOLS["search_memory"].parameters
    assert sent["add_memory"]["description"] == TOOLS["add_memory"].description
    facts = [f["memory"] for f in memory.get_all(user_id=user)["results"]]
    assert facts == ["Ida lives in Porto"]  # add_memory ran against graphmem
    added = json.loads(tool_replies(received[1])["call_add"])
    assert added["stored"][0]["event"] == "ADD"
    found = json.loads(tool_replies(received[2])["call_search"])  # the search reached the model
    assert found["memories"][0]["memory"] == "Ida lives in Porto"


def test_bad_arguments_reach_the_model_as_an_error(memory: Memory, user: str) -> None:
    respond = scripted(
        tool_call("call_bad", "search_memory", {"query": ""}),
        {"role": "assistant", "content": "Sorry."},
    )
    with openai_server(respond) as (base_url, received):
        agent = Agent(
            name="assistant",
            tools=function_tools(MemoryTools(memory, user_id=user)),
            model=model(base_url),
        )
        result = Runner.run_sync(agent, "Where do I live?", run_config=LOCAL)
    assert result.final_output == "Sorry."
    assert "error" in json.loads(tool_replies(received[1])["call_bad"])


def test_the_sdk_mcp_client_drives_graphmem_mcp(tmp_path: Path) -> None:
    config = write_config(tmp_path / "home")
    respond = scripted(
        tool_call("call_search", "search_memory", {"query": "Where does Ida live?"}),
        {"role": "assistant", "content": "In Berlin."},
    )

    async def scenario(base_url: str) -> Any:
        async with mcp_server(config_path=config, user_id="Ida", cache_tools_list=True) as server:
            listed = await server.list_tools()
            assert [t.name for t in listed] == list(TOOLS)
            assert listed[0].input_schema == TOOLS[listed[0].name].parameters  # no user_id
            added = await server.call_tool("add_memory", {"text": "I live in Berlin."})
            assert not added.is_error
            stored = json.loads(added.content[0].text)["stored"]  # type: ignore[union-attr]
            assert [s["memory"] for s in stored] == ["Ida lives in Berlin"]
            agent = Agent(name="assistant", mcp_servers=[server], model=model(base_url))
            return await Runner.run(agent, "Where do I live?", run_config=LOCAL)

    with openai_server(respond) as (base_url, received):
        result = asyncio.run(scenario(base_url))
    assert result.final_output == "In Berlin."
    assert {t["function"]["name"] for t in received[0]["body"]["tools"]} == set(TOOLS)
    found = json.loads(tool_replies(received[1])["call_search"])  # through MCP, to the model
    assert found["memories"][0]["memory"] == "Ida lives in Berlin"

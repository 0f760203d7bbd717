"""graphmem in the OpenAI Agents SDK: its `FunctionTool`s, and its MCP client on ``graphmem mcp``.

Two ways to give an `agents.Agent` memory:

* ``tools=function_tools(MemoryTools(memory, user_id="alice"))``: the tools `MemoryTools`
  offers (`search_memory`, `add_memory`, `get_entity`), in process. Each `FunctionTool` has
  `graphmem.tools`' name, description and JSON schema (not made strict: optional arguments
  stay optional), and runs `MemoryTools.acall` on an `AsyncMemory`, or `MemoryTools.call` in
  a worker thread on a `Memory`; the result goes to the model as JSON text (a bad argument as
  an ``{"error": ...}`` result it can read). The scope is the application's, never the
  model's.
* ``mcp_servers=[mcp_server(user_id="alice")]``: the SDK's stdio MCP client starting
  ``python -m graphmem.cli mcp``, every tool of `graphmem.tools.TOOLS` served by
  `graphmem.server.mcp`, bound to one user (or ``allow_user_id=True``: each call names it).

The SDK traces runs to OpenAI by default; graphmem leaves that to the application
(``agents.set_tracing_disabled(True)`` or ``RunConfig(tracing_disabled=True)`` keeps every
run local).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import missing_extra

try:
    from agents import FunctionTool
    from agents.mcp import MCPServerStdio, MCPServerStdioParams
    from agents.tool_context import ToolContext
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise missing_extra(__name__, "the OpenAI Agents SDK", "agents") from exc

from ..memory import AsyncMemory
from ..tools import MemoryTools

# Seconds the MCP client waits for one answer: the first call may open the store and load
# the models (the SDK's default is 5).
MCP_TIMEOUT = 120.0


def function_tools(memory_tools: MemoryTools) -> list[FunctionTool]:
    """The tools `memory_tools` offers, as Agents SDK `FunctionTool`s (see the module
    docstring)."""
    return [_function_tool(memory_tools, d) for d in memory_tools.definitions()]


def _function_tool(memory_tools: MemoryTools, definition: dict[str, Any]) -> FunctionTool:
    name = definition["name"]

    async def invoke(context: ToolContext[Any], arguments: str) -> str:
        if isinstance(memory_tools.memory, AsyncMemory):
            result = await memory_tools.acall(name, arguments)
        else:
            result = await asyncio.to_thread(memory_tools.call, name, arguments)
        return json.dumps(result)

    return FunctionTool(
        name=name,
        description=definition["description"],
        params_json_schema=definition["parameters"],
        on_invoke_tool=invoke,
        strict_json_schema=False,
    )


def mcp_server(
    *,
    user_id: str | None = None,
    allow_user_id: bool = False,
    config_path: str | Path | None = None,
    env: dict[str, str] | None = None,
    name: str = "graphmem",
    **options: Any,
) -> MCPServerStdio:
    """The SDK's MCP client for a ``graphmem mcp`` process it starts (use it as
    ``async with mcp_server(...) as server`` or give it to ``Agent(mcp_servers=[...])`` inside
    that block).

    The process is this interpreter's ``-m graphmem.cli [--config FILE] mcp``, acting for
    `user_id`, or for the user each call names with `allow_user_id` (else as the
    configuration's `server` section says). It inherits this process's environment
    (``GRAPHMEM_*``, ``NEO4J_*``, ``OPENAI_*``) updated with `env`. `options` go to
    `MCPServerStdio` (``cache_tools_list``, ``client_session_timeout_seconds``, default
    `MCP_TIMEOUT`, ...).
    """
    args = ["-m", "graphmem.cli"]
    if config_path is not None:
        args += ["--config", str(config_path)]
    args.append("mcp")
    if user_id is not None:
        args += ["--user-id", user_id]
    if allow_user_id:
        args.append("--allow-user-id")
    params: MCPServerStdioParams = {
        "command": sys.executable,
        "args": args,
        "env": {**os.environ, **(env or {})},
    }
    options.setdefault("client_session_timeout_seconds", MCP_TIMEOUT)
    return MCPServerStdio(params, name=name, **options)

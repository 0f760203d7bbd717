"""graphmem's MCP server (the official `mcp` SDK), over stdio and streamable HTTP.

`build_server(memory, policy)` serves the memory tools of `graphmem.tools.TOOLS` (the same
definitions and bodies `MemoryTools` uses): add_memory, search_memory, get_memories,
get_memory, update_memory, delete_memory, delete_all_memories, memory_history,
search_entities, get_entity, neighbors, changes, memory_feedback and forget_episode.
`memory` is anything with `graphmem.Memory`'s blocking methods (a `Memory`, or the HTTP
`MemoryClient`); each call runs in a worker thread, so the event loop never blocks.

Whose memories a call reaches is the `ScopePolicy`'s decision, never the model's: on a server
bound to one user (`allow_user_id=False`) the tools have no user_id, agent_id or run_id
argument at all (naming one is refused with `ScopeRefusedError`); with `allow_user_id=True`
they take optional `user_id`, `agent_id` and `run_id`, resolved by `policy.resolve`. The
memory-id tools first check that the memory lies in the call's scope
(`policy.check_visible`): another scope's memory id is `NotFoundError`, as if it did not
exist.

A bad call never takes the server down: a schema violation, or one of graphmem's typed
errors, comes back as a tool result with ``isError`` set, its text ``"<ErrorType>: <message>"``
and its structured content ``{"error": {"type", "message"}}``. A result is JSON: structured
content, and the same JSON as text.

Transports:

* `run_stdio(config)`: the `graphmem mcp` command (stdout is the protocol; logs go to
  ``<home>/log/mcp.log`` and warnings to stderr).
* `mount(server)`: the streamable HTTP endpoint for `graphmem serve` to mount at `/mcp`
  (see its docstring for what the mounting app must do); `http_app(server)` is a complete
  Starlette app serving it.

>>> server = build_server(memory, ScopePolicy(user_id="alice"))  # doctest: +SKIP
>>> mounted = mount(server)  # doctest: +SKIP
>>> app.router.routes.append(mounted.route("/mcp"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, NamedTuple

import anyio.to_thread
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import ConfigDict
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from .. import __version__
from ..config import MemoryConfig, default_home
from ..errors import GraphmemError, ValidationError
from ..tools import TOOLS, ToolContext, ToolSpec, run_calls
from .scoping import ScopePolicy, ScopeRefusedError

log = logging.getLogger(__name__)

SCOPE_KEYS = ("user_id", "agent_id", "run_id")
_ID = {"type": "string", "minLength": 1, "maxLength": 256}
SCOPE_PROPERTIES: dict[str, dict[str, Any]] = {
    "user_id": {
        **_ID,
        "description": "the user whose memories this call reads or writes (default: the "
        "server's user, if it has one)",
    },
    "agent_id": {
        **_ID,
        "description": "an agent: narrows the user's memories to this agent's, or, without "
        "user_id, the agent's own memories",
    },
    "run_id": {
        **_ID,
        "description": "a run or session: narrows to the memories of this run, or, alone, the "
        "run's own memories",
    },
}
INSTRUCTIONS = (
    "graphmem is a long-term memory of facts about the user, kept as a graph of entities and "
    "versioned relationships. Call search_memory before answering anything that may depend on "
    "what the user said earlier, and add_memory when the user tells you something worth "
    "remembering about themselves, their people, places, work or preferences."
)


def tool_schema(spec: ToolSpec, policy: ScopePolicy) -> dict[str, Any]:
    """The JSON schema of one tool under `policy`: the scope ids only when callers may name
    them."""
    schema = copy.deepcopy(spec.parameters)
    if policy.allow_user_id:
        schema["properties"].update(copy.deepcopy(SCOPE_PROPERTIES))
    return schema


def build_server(memory: Any, policy: ScopePolicy, *, name: str = "graphmem") -> MCPServer:
    """An MCP server of every tool in `graphmem.tools.TOOLS` over `memory`, scoped by
    `policy` (see the module docstring). Runs over any transport; see `mount`."""
    tools = [_tool(memory, policy, spec) for spec in TOOLS.values()]
    # log_level only matters when nothing configured logging yet (the SDK's basicConfig).
    return MCPServer(
        name,
        title="graphmem memory",
        instructions=INSTRUCTIONS,
        version=__version__,
        tools=tools,
        log_level="WARNING",
    )


# -- one tool ------------------------------------------------------------------------------------


class _Arguments(ArgModelBase):
    """The SDK's argument model, keeping the arguments as they came: each tool validates them
    against its own JSON schema (the one it lists) and reports errors its own way."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def _tool(memory: Any, policy: ScopePolicy, spec: ToolSpec) -> Tool:
    schema = tool_schema(spec, policy)
    validator = Draft202012Validator(schema)

    async def run(arguments: dict[str, Any]) -> CallToolResult:
        try:
            args, ids = _check(spec.name, validator, policy, arguments)
            scope = policy.resolve(**ids)

            def check_visible(record: dict[str, Any] | None, memory_id: str) -> None:
                policy.check_visible(record, memory_id, **ids)

            ctx = ToolContext(scope, check_visible)
            result = await anyio.to_thread.run_sync(run_calls, memory, spec.body(args, ctx))
        except GraphmemError as exc:
            log.info("tool %s refused: %s: %s", spec.name, type(exc).__name__, exc)
            return _error(type(exc).__name__, str(exc))
        except Exception:
            log.exception("tool %s failed", spec.name)
            return _error("InternalError", f"{spec.name} failed unexpectedly; see the server log")
        text = json.dumps(result, ensure_ascii=False, default=str)
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=json.loads(text)
        )

    return Tool(
        fn=run,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=schema,
        fn_metadata=FuncMetadata(arg_model=_Arguments),
        is_async=True,
        annotations=ToolAnnotations(
            title=spec.title,
            read_only_hint=spec.read_only,
            destructive_hint=spec.destructive,
            idempotent_hint=spec.idempotent,
            open_world_hint=False,
        ),
    )


def _check(
    name: str, validator: Draft202012Validator, policy: ScopePolicy, arguments: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tool's own arguments and the scope ids, or ValidationError / ScopeRefusedError."""
    named = sorted(k for k in SCOPE_KEYS if k in arguments)
    if named and not policy.allow_user_id:
        policy.resolve(user_id=arguments.get("user_id"))  # another user: its ScopeRefusedError
        raise ScopeRefusedError(
            f"this server acts for user {policy.user_id!r} only: its tools take no "
            f"{' or '.join(named)}; start it with --allow-user-id to name them per call"
        )
    error = best_match(validator.iter_errors(arguments))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise ValidationError(f"{name}: {where + ': ' if where else ''}{error.message}")
    ids = {k: arguments[k] for k in named}
    args = {k: v for k, v in arguments.items() if k not in SCOPE_KEYS}
    return args, ids


def _error(kind: str, message: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=f"{kind}: {message}")],
        structured_content={"error": {"type": kind, "message": message}},
        is_error=True,
    )


# -- streamable HTTP -------------------------------------------------------------------------------


class Mounted(NamedTuple):
    """What `mount` returns: the endpoint's ASGI app and the lifespan it needs."""

    app: ASGIApp
    lifespan: Callable[[], AbstractAsyncContextManager[None]]

    def route(self, path: str = "/mcp") -> Route:
        """A Starlette / FastAPI route serving `app` at exactly `path`, every method."""
        return Route(path, endpoint=self.app)


def mount(server: MCPServer, *, host: str = "127.0.0.1") -> Mounted:
    """The streamable HTTP endpoint of `server`, for an app that serves it at `/mcp`.

    Contract for the mounting app (e.g. `graphmem serve`, FastAPI or Starlette):

    * Route exactly `/mcp` to `app`, a plain ASGI app that answers at whatever path it is
      routed to: ``app.router.routes.append(mounted.route("/mcp"))``, i.e.
      ``starlette.routing.Route("/mcp", endpoint=mounted.app)`` (an ASGI endpoint takes every
      method: the protocol uses POST, GET and DELETE). ``app.mount("/mcp", mounted.app)``
      works too, but a mount answers at ``/mcp/``: every request to ``/mcp`` is first
      redirected there (307, which the official client follows).
    * Run `lifespan()` for as long as the app serves, in the app's own lifespan: a mounted
      sub-application's lifespan never runs, and every request fails until this one has
      started. ``async with mounted.lifespan(): yield``. It can run once per `mount`.
    * Put the bearer-token check (and body size limit) in front of it: this endpoint checks
      no credentials itself.

    The endpoint is stateless (no MCP session ids; every request stands alone, so it also
    works behind several workers) and answers with plain JSON, not SSE. With a loopback
    `host` (the address the app listens on) requests must carry a loopback Host and Origin
    header (the SDK's DNS-rebinding protection); with any other host that check is off.
    """
    server.streamable_http_app(
        streamable_http_path="/", stateless_http=True, json_response=True, host=host
    )
    manager = server.session_manager
    return Mounted(StreamableHTTPASGIApp(manager), manager.run)


def http_app(server: MCPServer, *, path: str = "/mcp", host: str = "127.0.0.1") -> Starlette:
    """A Starlette app serving `server` at `path` (no authentication), lifespan included."""
    mounted = mount(server, host=host)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with mounted.lifespan():
            yield

    return Starlette(routes=[mounted.route(path)], lifespan=lifespan)


# -- stdio -----------------------------------------------------------------------------------------


def run_stdio(config: MemoryConfig) -> None:
    """Serve MCP over stdin/stdout until the client closes stdin (or SIGTERM), acting for
    `config.server` (`user_id`, `allow_user_id`); the Memory is closed at exit.

    Nothing but the protocol reaches stdout: logs go to ``<home>/log/mcp.log`` (warnings also
    to stderr), and whatever the store writes to fd 1 while it starts goes to stderr."""
    policy = ScopePolicy.from_config(config.server)
    _log_to_home(config)
    from ..memory import Memory

    with _stdout_to_stderr():
        memory = Memory(config)
    log.info("graphmem mcp (stdio) started, pid %d", os.getpid())
    try:
        with _sigterm_exits():
            build_server(memory, policy).run("stdio")
    except _Terminated:
        log.info("graphmem mcp (stdio): SIGTERM")
    finally:
        memory.close()
        log.info("graphmem mcp (stdio) stopped")


_logging_to: list[Path] = []


def _log_to_home(config: MemoryConfig) -> None:
    """Log INFO and up to <home>/log/mcp.log and WARNING and up to stderr (once a process)."""
    if _logging_to:
        return
    root = logging.getLogger()
    folder = Path(config.store.home or default_home()) / "log"
    handlers: list[logging.Handler] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(folder / "mcp.log", encoding="utf-8"))
        handlers[-1].setLevel(logging.INFO)
    except OSError as exc:
        print(f"graphmem mcp: cannot write {folder}/mcp.log: {exc}", file=sys.stderr)
    handlers.append(logging.StreamHandler(sys.stderr))
    handlers[-1].setLevel(logging.WARNING)
    formatter = logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    _logging_to.append(folder)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Point fd 1 (and `sys.stdout`) at stderr for the block, then back at the protocol."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _Terminated(BaseException):
    """Raised by the SIGTERM handler to end the stdio server."""


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM ends the server like a closed stdin does (so the Memory is closed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

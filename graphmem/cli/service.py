"""The commands of a served store, and how the memory commands use a running server.

- `graphmem serve [--host H] [--port N] [--user-id U] [--allow-user-id] [--token-file F]`:
  the REST API until SIGTERM (`graphmem.server.serve`); `--status` prints whether the home's
  server runs and exits 0 if it does, 1 if not.
- `graphmem mcp [--user-id U] [--allow-user-id]`: the MCP server on stdio
  (`graphmem.server.mcp.run_stdio`).

The flags override `config.server`. `connect(config)` gives a `MemoryClient` for the server of
the configured home when one runs and answers, so the memory commands go through it.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from ..config import MemoryConfig, ServerConfig
from ..errors import ConfigError
from ..server import runfile

if TYPE_CHECKING:
    from ..client import MemoryClient

COMMANDS = ("serve", "mcp")
# The memory commands with a REST route: they use a running server of the home.
SERVED = ("add", "relate", "get", "get-all", "search", "history", "delete", "delete-all", "reset")
HEALTH_TIMEOUT = 1.0  # seconds a running server gets to answer /health


def add_commands(sub: Any) -> None:
    """Register `serve` and `mcp` on the main parser's subparsers."""
    p = sub.add_parser("serve", help="serve the memory over HTTP (REST API) until SIGTERM")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (default 8765; 0 = any free port)")
    add_scope_flags(p)
    p.add_argument("--token-file", help="file holding the bearer token (default <home>/token)")
    p.add_argument("--status", action="store_true", help="tell whether the server runs")

    p = sub.add_parser("mcp", help="the MCP server on stdio (for agent hosts)")
    add_scope_flags(p)


def add_scope_flags(p: argparse.ArgumentParser) -> None:
    """The flags that say whom a server acts for (`serve`, `mcp`, `inspect`)."""
    p.add_argument("--user-id", help="the user every call acts for")
    p.add_argument(
        "--allow-user-id",
        action="store_true",
        default=None,
        help="callers name user_id / agent_id / run_id per call",
    )


def run(args: argparse.Namespace, config: MemoryConfig) -> int:
    """Run `serve` or `mcp`; returns the exit code."""
    if args.command == "serve" and args.status:
        from ..server.serve import status

        found = status(runfile.home_of(config))
        print(json.dumps(found, indent=2) if args.json else _status_text(found))
        return 0 if found["running"] else 1
    served = with_flags(config, args)
    if args.command == "serve":
        from ..server.serve import serve

        serve(served)
    else:
        from ..server.mcp import run_stdio

        run_stdio(served)
    return 0


def with_flags(config: MemoryConfig, args: argparse.Namespace) -> MemoryConfig:
    """`config` with the command's flags applied to `config.server` (checked again)."""
    updates: dict[str, Any] = {
        key: value
        for key in ("host", "port", "user_id", "allow_user_id")
        if (value := getattr(args, key, None)) is not None
    }
    if getattr(args, "token_file", None):
        try:
            with open(args.token_file, encoding="utf-8") as fh:
                updates["token"] = fh.read().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read --token-file {args.token_file}: {exc}") from exc
    try:
        server = ServerConfig.model_validate({**config.server.model_dump(), **updates})
    except ValueError as exc:  # pydantic's ValidationError
        raise ConfigError(f"invalid server option: {exc}") from exc
    return config.model_copy(update={"server": server})


def connect(config: MemoryConfig) -> MemoryClient | None:
    """A client of the running server of `config`'s home, or None when none answers (or it
    serves another kind of store than `config` names)."""
    from ..client import MemoryClient, health

    home = runfile.home_of(config)
    info = runfile.running(home)
    if info is None:
        return None
    found = health(info.url, timeout=HEALTH_TIMEOUT)
    if found is None or found.get("store") != runfile.store_kind(config):
        return None
    token = config.server.token.get_secret_value() if config.server.token else None
    return MemoryClient(info.url, token, home=home)


def _status_text(found: dict[str, Any]) -> str:
    if not found["running"]:
        return f"graphmem serve is not running for {found['home']}: {found['message']}"
    health = found["health"]
    return (
        f"graphmem serve is running at {found['url']} (pid {found['pid']}, home "
        f"{found['home']}, {health.get('store')} store, version {health.get('version')})"
    )

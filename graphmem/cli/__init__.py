"""The `graphmem` command line: demo, add, relate, get, get-all, history, feedback, delete, reset,
serve, mcp, inspect.

Every command takes the same configuration as the library (environment variables, or
`--config FILE`) and prints readable text, or JSON with `--json`. When a `graphmem serve` of
the configured home runs, the memory commands with a REST route go through it (`--no-server`:
open the store in this process; `--verbose` says which one was used).
"""

# The modules: `commands` (the memory commands), `bulk` (config, ingest, export, import,
# show), `service` (serve, mcp, and using a running server), `inspector` (inspect), `demo`,
# `picture` (the PNG of `show`), `options` (the scope options they share). Nothing heavy is
# imported here: the store, the models and the web framework load when a command needs them,
# so a command sent to a running server starts fast.

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..config import MemoryConfig
from ..errors import GraphmemError
from . import bulk, commands, demo, inspector, service

__all__ = ["build_parser", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (`demo`, the memory commands, the bulk commands)."""
    parser = argparse.ArgumentParser(prog="graphmem", description=__doc__)
    parser.add_argument("--config", help="YAML or JSON config file (default: environment)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--no-server", action="store_true", help="never use a running graphmem serve"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="say on stderr whether a server was used"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo.add_command(sub)
    commands.add_commands(sub)
    bulk.add_commands(sub)
    service.add_commands(sub)
    inspector.add_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (2 for an error graphmem reports)."""
    args = build_parser().parse_args(argv)
    if not commands.confirmed(args):
        return 2
    result: Any
    try:
        config = MemoryConfig.from_file(args.config) if args.config else MemoryConfig.from_env()
        if args.command == "extract":  # needs no store
            commands.print_extraction(args, config)
            return 0
        if args.command in service.COMMANDS:  # they print their own text
            return service.run(args, config)
        if args.command == inspector.COMMAND:
            return inspector.run(args, config)
        if args.command in bulk.COMMANDS:  # they print their own text
            result = bulk.run(args, config)
        else:
            result = _memory_command(args, config)
    except GraphmemError as exc:
        print(f"graphmem: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.command != "demo" and args.command not in bulk.COMMANDS:
        commands.print_text(result)
    return 0


def _memory_command(args: argparse.Namespace, config: MemoryConfig) -> Any:
    """Run `demo` or a memory command: through the home's running server when there is one
    (and the command has a route), else on a `Memory` of this process."""
    client = None
    if args.command in service.SERVED and not args.no_server:
        client = service.connect(config)
    if client is not None:
        _say(args, f"graphmem: using the server at {client.url}")
        with client:
            return commands.dispatch(client, args)
    from ..memory import Memory

    _say(args, "graphmem: opening the store in this process")
    with Memory(config) as m:
        if args.command == "demo":
            return demo.run_demo(m, sys.stderr if args.json else sys.stdout)
        return commands.dispatch(m, args)


def _say(args: argparse.Namespace, text: str) -> None:
    if args.verbose:
        print(text, file=sys.stderr)


def run() -> None:
    """The console script: `main`, then exit without the interpreter's teardown.

    With the embedded store the JVM's threads outlive Python's finalization, which can abort
    the process at exit ("FATAL: exception not rethrown", seen now and then next to torch and
    spaCy). Output is flushed and the embedded server stopped first, so nothing is lost.
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    embedded = sys.modules.get("graphmem.store.embedded")  # loaded only if a store was opened
    if embedded is not None:
        embedded.stop_all()
    os._exit(code)

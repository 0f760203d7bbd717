"""The `graphmem` command line: demo, add, relate, get, get-all, history, delete, reset.

Every command takes the same configuration as the library (environment variables, or
`--config FILE`) and prints readable text, or JSON with `--json`.
"""

# The modules: `commands` (the memory commands), `bulk` (config, ingest, export, import,
# show), `demo`, `picture` (the PNG of `show`), `options` (the scope options they share).

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
from ..memory import Memory
from ..store.embedded import stop_all
from . import bulk, commands, demo

__all__ = ["build_parser", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (`demo`, the memory commands, the bulk commands)."""
    parser = argparse.ArgumentParser(prog="graphmem", description=__doc__)
    parser.add_argument("--config", help="YAML or JSON config file (default: environment)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(dest="command", required=True)
    demo.add_command(sub)
    commands.add_commands(sub)
    bulk.add_commands(sub)
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
        if args.command in bulk.COMMANDS:  # they print their own text
            result = bulk.run(args, config)
        else:
            with Memory(config) as m:
                if args.command == "demo":
                    result = demo.run_demo(m, sys.stderr if args.json else sys.stdout)
                else:
                    result = commands.dispatch(m, args)
    except GraphmemError as exc:
        print(f"graphmem: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.command != "demo" and args.command not in bulk.COMMANDS:
        commands.print_text(result)
    return 0


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
    stop_all()
    os._exit(code)

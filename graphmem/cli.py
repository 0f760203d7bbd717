"""The `graphmem` command line: demo, add, relate, get, get-all, history, delete, reset.

Every command takes the same configuration as the library (environment variables, or
`--config FILE`) and prints readable text, or JSON with `--json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import cli_tools
from .config import MemoryConfig
from .errors import GraphmemError
from .extraction import extract
from .memory import Memory
from .store.embedded import stop_all


def _scope_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", dest="user_id", help="user id (the owner namespace)")
    parser.add_argument("--agent", dest="agent_id", help="agent id")
    parser.add_argument("--run", dest="run_id", help="run / session id")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphmem", description=__doc__)
    parser.add_argument("--config", help="YAML or JSON config file (default: environment)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("demo", help="ingest a sample conversation and show facts and a history")

    p = sub.add_parser("add", help="store a message and the facts extracted from it")
    p.add_argument("text")
    p.add_argument("--role", default="user")
    p.add_argument("--speaker", help="who says it (first person resolves to this name)")
    p.add_argument("--no-infer", action="store_true", help="store the message only")
    p.add_argument("--metadata", help="JSON object")
    p.add_argument("--timestamp", help="ISO 8601 time of the message")
    _scope_args(p)

    p = sub.add_parser("extract", help="print the entities and relations in a text (no store)")
    p.add_argument("text")
    p.add_argument("--speaker", default="User", help="who says it")
    p.add_argument("--date", help="ISO time the text was said (anchors 'last year')")

    p = sub.add_parser("relate", help="store a fact: SUBJECT RELATION OBJECT")
    p.add_argument("subject")
    p.add_argument("relation")
    p.add_argument("object")
    p.add_argument("--valid-from")
    p.add_argument("--valid-to")
    p.add_argument("--source", help="episode id or text the fact came from")
    p.add_argument("--metadata", help="JSON object")
    _scope_args(p)

    p = sub.add_parser("get", help="one memory (its latest version)")
    p.add_argument("memory_id")

    p = sub.add_parser("get-all", help="current facts of a scope")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--filters", help='JSON filter, e.g. \'{"relationship": "LIVES_IN"}\'')
    _scope_args(p)

    p = sub.add_parser("search", help="facts (or source turns) that answer a question")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--hops", type=int, default=2, help="traversal depth from the entry points")
    p.add_argument("--as-of", help="ISO time: answer with what was true then")
    _scope_args(p)

    p = sub.add_parser("history", help="every version of a memory")
    p.add_argument("memory_id")

    p = sub.add_parser("delete", help="close a memory (its history is kept)")
    p.add_argument("memory_id")

    p = sub.add_parser("delete-all", help="erase a scope's memories")
    p.add_argument("--yes", action="store_true", help="confirm")
    _scope_args(p)

    p = sub.add_parser("reset", help="erase all graphmem data in the store (nothing else)")
    p.add_argument("--yes", action="store_true", help="confirm")
    cli_tools.add_commands(sub)
    return parser


def _json_arg(text: str | None, what: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"graphmem: --{what} is not valid JSON: {exc}") from exc


def _scope(args: argparse.Namespace) -> dict[str, Any]:
    return {"user_id": args.user_id, "agent_id": args.agent_id, "run_id": args.run_id}


def _dispatch(m: Memory, args: argparse.Namespace) -> Any:
    cmd = args.command
    if cmd == "add":
        return m.add(
            {"role": args.role, "content": args.text, "name": args.speaker},
            **_scope(args),
            metadata=_json_arg(args.metadata, "metadata"),
            timestamp=args.timestamp,
            infer=not args.no_infer,
        )
    if cmd == "relate":
        return m.add_relation(
            args.subject,
            args.relation,
            args.object,
            **_scope(args),
            valid_from=args.valid_from,
            valid_to=args.valid_to,
            source=args.source,
            metadata=_json_arg(args.metadata, "metadata"),
        )
    if cmd == "get":
        found = m.get(args.memory_id)
        if found is None:
            raise SystemExit(f"graphmem: no memory with id {args.memory_id!r}")
        return found
    if cmd == "get-all":
        return m.get_all(
            **_scope(args),
            filters=_json_arg(args.filters, "filters"),
            page=args.page,
            page_size=args.page_size,
        )
    if cmd == "search":
        return m.search(
            args.query, **_scope(args), limit=args.limit, hops=args.hops, as_of=args.as_of
        )
    if cmd == "history":
        return m.history(args.memory_id)
    if cmd == "delete":
        return m.delete(args.memory_id)
    if cmd == "delete-all":
        return m.delete_all(**_scope(args))
    if cmd == "reset":
        return m.reset()
    raise AssertionError(cmd)


def _print_text(result: Any) -> None:
    items = result.get("results") if isinstance(result, dict) else result
    if isinstance(result, dict) and items is None:
        print(result.get("message", json.dumps(result, indent=2)))
        return
    if isinstance(result, dict) and "memory" in result:
        items = [result]
    for item in items or []:
        event = item.get("event", item.get("status", ""))
        if "score" in item:  # a search result
            event = f"{item['score']:.3f}"
        print(
            f"{event:<8} {item.get('memory') or item.get('new_memory') or item.get('old_memory')}"
            f"  [{item.get('memory_id', item.get('id'))}]"
        )
    if not items:
        print("(nothing)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("reset", "delete-all") and not args.yes:
        print(f"graphmem: {args.command} erases data; add --yes to confirm", file=sys.stderr)
        return 2
    try:
        config = MemoryConfig.from_file(args.config) if args.config else MemoryConfig.from_env()
        if args.command == "extract":  # needs no store
            found = extract(args.text, speaker=args.speaker, occurred_at=args.date, config=config)
            print(json.dumps(found.model_dump(), indent=2))
            return 0
        if args.command in cli_tools.COMMANDS:  # config, ingest, export, import, show
            done = cli_tools.run(args, config)
            if args.json:
                print(json.dumps(done, indent=2))
            return 0
        with Memory(config) as m:
            if args.command == "demo":
                from .demo import run_demo

                result = run_demo(m, sys.stderr if args.json else sys.stdout)
            else:
                result = _dispatch(m, args)
    except GraphmemError as exc:
        print(f"graphmem: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.command != "demo":
        _print_text(result)
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


if __name__ == "__main__":
    run()

"""The commands for bulk work: config show, ingest, export, import, show.

`add_commands` registers them on the main parser; `run` handles one of `COMMANDS`.
"""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from ..config import MemoryConfig
from .options import add_scope, scope_of

COMMANDS = ("config", "ingest", "export", "import", "show")


def add_commands(sub: Any) -> None:
    """Register the commands on the main parser's subparsers."""
    p = sub.add_parser("config", help="show the effective configuration (secrets masked)")
    p.add_argument("action", choices=["show"])

    p = sub.add_parser("ingest", help="bulk-load messages from a JSONL or LoCoMo JSON file")
    p.add_argument("file")
    p.add_argument("--format", choices=["jsonl", "locomo"], help="default: from the content")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--limit", type=int, help="ingest only the first N messages")
    p.add_argument("--no-infer", action="store_true", help="store the messages only")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    add_scope(p)

    p = sub.add_parser("export", help="export a scope with its full version history")
    p.add_argument(  # checked by the export itself (graphmem.readwrite.FORMATS)
        "--format", help="json, graphml or cypher (default: from --out, else json)"
    )
    p.add_argument("--out", required=True, help="file to write")
    p.add_argument("--no-embeddings", action="store_true", help="leave the vectors out")
    add_scope(p)

    p = sub.add_parser("import", help="load an export (JSON or GraphML) into the store")
    p.add_argument("file")

    p = sub.add_parser("show", help="draw the current graph (or an entity's) to a PNG")
    p.add_argument("--entity", help="draw this entity's neighbourhood only")
    p.add_argument("--hops", type=int, default=2)
    p.add_argument("--out", default="graph.png")
    add_scope(p)


def run(args: argparse.Namespace, config: MemoryConfig) -> dict[str, Any]:
    """Run one of `COMMANDS`, printing its summary unless `--json`; returns the result."""
    if args.command == "config":
        data = config.effective()
        if not args.json:
            print(yaml.safe_dump(data, sort_keys=False), end="")
        return data
    from ..memory import Memory

    scope = scope_of(args)
    with Memory(config) as m:
        if args.command == "ingest":
            summary = m.ingest(
                args.file,
                format=args.format,
                batch_size=args.batch_size,
                limit=args.limit,
                infer=not args.no_infer,
                progress=args.progress,
                **scope,
            )
            if not args.json:
                _print_summary(summary)
            return summary
        if args.command == "export":
            result = m.export(
                args.out,
                format=args.format,
                include_embeddings=not args.no_embeddings,
                **scope,
            )
            if not args.json:
                print(
                    f"exported {result['nodes']} nodes and {result['relationships']} "
                    f"relationships ({result['facts']} fact versions) to {result['path']} "
                    f"as {result['format']}"
                )
            return result
        if args.command == "import":
            result = m.import_(args.file)
            if not args.json:
                counts = result["imported"]
                print("imported " + ", ".join(f"{v} {k}" for k, v in counts.items()))
            return result
        from .picture import show

        result = show(m, args.out, entity=args.entity, hops=args.hops, **scope)
        if not args.json:
            print(
                f"drew {result['nodes']} entities and {result['edges']} facts to {result['path']}"
            )
        return result


def _print_summary(summary: dict[str, Any]) -> None:
    events = ", ".join(f"{k} {v}" for k, v in summary["events"].items())
    print(
        f"{summary['messages']} messages: {summary['stored']} stored, "
        f"{summary['skipped']} already stored (skipped), in {summary['seconds']:.1f} s "
        f"({summary['messages_per_second']} messages/s)\n"
        f"fact events: {events}\n"
        f"scopes: {summary['scopes']} ({summary['users']} owners)"
    )
    if summary["waiting"]:
        print(
            f"{summary['waiting']} messages wait for extraction (the LLM was unreachable): "
            "run `graphmem reprocess` when it answers again"
        )

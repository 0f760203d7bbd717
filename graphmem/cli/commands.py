"""The memory commands: add (a text, or a file: documents and images), forget-document,
extract, relate, get, get-all, search, history, feedback, delete, delete-all, reset,
reprocess. `add_commands` registers them, `dispatch` runs one against a
`Memory`, `print_text` prints its result for people."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MemoryConfig
from ..errors import NotFoundError, ValidationError
from .options import add_scope, scope_of

if TYPE_CHECKING:
    from ..client import MemoryClient
    from ..memory import Memory

CONFIRM = ("reset", "delete-all")  # commands that erase data and need --yes


def add_commands(sub: Any) -> None:
    """Register the commands on the main parser's subparsers."""
    p = sub.add_parser("add", help="store a message and the facts extracted from it")
    p.add_argument("text", nargs="?", help="the message (with --file: said with the file)")
    p.add_argument(
        "--file",
        help="a document (.pdf, .md / .mdx, .txt) or an image (.png, .jpg, .gif, .webp) to add",
    )
    p.add_argument("--role", default="user")
    p.add_argument("--speaker", help="who says it (first person resolves to this name)")
    p.add_argument("--no-infer", action="store_true", help="store the message only")
    p.add_argument("--metadata", help="JSON object")
    p.add_argument("--timestamp", help="ISO 8601 time of the message")
    p.add_argument("--categories", help='this call\'s taxonomy: JSON {"name": "description"}')
    add_scope(p)

    p = sub.add_parser(
        "forget-document", help="forget a document's episodes and what they alone taught"
    )
    p.add_argument("document_id")
    add_scope(p)

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
    add_scope(p)

    p = sub.add_parser("get", help="one memory (its latest version)")
    p.add_argument("memory_id")

    p = sub.add_parser("get-all", help="current facts of a scope")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--filters", help='JSON filter, e.g. \'{"relationship": "LIVES_IN"}\'')
    add_scope(p)

    p = sub.add_parser("search", help="facts (or source turns) that answer a question")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--hops", type=int, default=2, help="traversal depth from the entry points")
    p.add_argument("--as-of", help="ISO time: answer with what was true then")
    add_scope(p)

    p = sub.add_parser("history", help="every version of a memory")
    p.add_argument("memory_id")

    p = sub.add_parser("feedback", help="judge a memory: POSITIVE, NEGATIVE or VERY_NEGATIVE")
    p.add_argument("memory_id")
    p.add_argument("feedback", help="POSITIVE, NEGATIVE or VERY_NEGATIVE (retracts it)")
    p.add_argument("--reason", help="why (kept with the feedback)")
    p.add_argument("--by", help="who gives it (kept with the feedback)")

    p = sub.add_parser("delete", help="close a memory (its history is kept)")
    p.add_argument("memory_id")

    p = sub.add_parser("delete-all", help="erase a scope's memories")
    p.add_argument("--yes", action="store_true", help="confirm")
    add_scope(p)

    p = sub.add_parser("reset", help="erase all graphmem data in the store (nothing else)")
    p.add_argument("--yes", action="store_true", help="confirm")

    p = sub.add_parser(
        "reprocess",
        help="extract the messages stored while the LLM was unreachable (every owner's, "
        "unless a scope is given)",
    )
    p.add_argument("--limit", type=int, help="extract at most N add calls")
    add_scope(p)


def confirmed(args: argparse.Namespace) -> bool:
    """False (and says why on stderr) for an erasing command given without --yes."""
    if args.command in CONFIRM and not args.yes:
        print(f"graphmem: {args.command} erases data; add --yes to confirm", file=sys.stderr)
        return False
    return True


def print_extraction(args: argparse.Namespace, config: MemoryConfig) -> None:
    """`graphmem extract`: the entities and relations in a text, as JSON (no store)."""
    from ..extraction import extract

    found = extract(args.text, speaker=args.speaker, occurred_at=args.date, config=config)
    print(json.dumps(found.model_dump(), indent=2))


def _content(args: argparse.Namespace) -> Any:
    """`add`'s content: the text, or (with --file) content parts holding the file."""
    if args.file is None:
        if args.text is None:
            raise ValidationError("add needs a TEXT, a --file, or both")
        return args.text
    path = Path(args.file)
    kind, media_type = _FILE_PARTS.get(path.suffix.lower(), ("mdx_url", "text/plain"))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"--file: cannot read {path}: {exc}") from None
    url = f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
    parts = [{"type": kind, kind: {"url": url}}]
    return [{"type": "text", "text": args.text}, *parts] if args.text else parts


# A file's suffix: its part type and media type (anything else is read as plain text).
_FILE_PARTS = {
    ".pdf": ("pdf_url", "application/pdf"),
    ".md": ("mdx_url", "text/markdown"),
    ".markdown": ("mdx_url", "text/markdown"),
    ".mdx": ("mdx_url", "text/mdx"),
    ".png": ("image_url", "image/png"),
    ".jpg": ("image_url", "image/jpeg"),
    ".jpeg": ("image_url", "image/jpeg"),
    ".gif": ("image_url", "image/gif"),
    ".webp": ("image_url", "image/webp"),
}


def _json_arg(text: str | None, what: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"--{what} is not valid JSON: {exc}") from None


def dispatch(m: Memory | MemoryClient, args: argparse.Namespace) -> Any:
    """Run one memory command on a `Memory` or anything with its methods (a `MemoryClient`
    of a running server); returns the method's result."""
    cmd = args.command
    if cmd == "add":
        return m.add(
            {"role": args.role, "content": _content(args), "name": args.speaker},
            **scope_of(args),
            metadata=_json_arg(args.metadata, "metadata"),
            timestamp=args.timestamp,
            infer=not args.no_infer,
            custom_categories=_json_arg(args.categories, "categories"),
        )
    if cmd == "relate":
        return m.add_relation(
            args.subject,
            args.relation,
            args.object,
            **scope_of(args),
            valid_from=args.valid_from,
            valid_to=args.valid_to,
            source=args.source,
            metadata=_json_arg(args.metadata, "metadata"),
        )
    if cmd == "get":
        found = m.get(args.memory_id)
        if found is None:
            raise NotFoundError(f"no memory with id {args.memory_id!r}")
        return found
    if cmd == "get-all":
        return m.get_all(
            **scope_of(args),
            filters=_json_arg(args.filters, "filters"),
            page=args.page,
            page_size=args.page_size,
        )
    if cmd == "search":
        return m.search(
            args.query, **scope_of(args), limit=args.limit, hops=args.hops, as_of=args.as_of
        )
    if cmd == "history":
        return m.history(args.memory_id)
    if cmd == "feedback":
        return m.feedback(args.memory_id, args.feedback, args.reason, by=args.by)
    if cmd == "delete":
        return m.delete(args.memory_id)
    if cmd == "forget-document":
        return m.forget_document(args.document_id, **scope_of(args))
    if cmd == "delete-all":
        return m.delete_all(**scope_of(args))
    if cmd == "reset":
        return m.reset()
    if cmd == "reprocess":  # no REST route: it always runs on a Memory of this process
        from ..memory import Memory

        assert isinstance(m, Memory)
        return m.reprocess(**scope_of(args), limit=args.limit)
    raise AssertionError(cmd)


def print_text(result: Any) -> None:
    """A command's result for people: one line per memory (event, text, id)."""
    items = result.get("results") if isinstance(result, dict) else result
    if isinstance(result, dict) and items is None:
        print(result.get("message", json.dumps(result, indent=2)))
        return
    if isinstance(result, dict) and "memory" in result:
        items = [result]
    if isinstance(result, dict) and "feedback" in result:  # what it retracted and restored
        print(f"{result['message']}  [{result['feedback']['memory_id']}]")
        if not items:
            return
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
    for document in result.get("documents") or [] if isinstance(result, dict) else []:
        print(f"document {document['id']}: {document['type']}, {document['parts']} part(s)")
    if isinstance(result, dict) and "reprocessed" in result:
        print(result["message"])
    elif isinstance(result, dict) and result.get("waiting"):
        print(
            f"{len(result['waiting'])} episode(s) wait for extraction (the LLM was unreachable): "
            "run `graphmem reprocess` when it answers again"
        )

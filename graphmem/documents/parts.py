"""The messages of an `add` call whose content holds parts (see graphmem/documents/).

`read_messages(ctx, messages)` is the step `add` takes: messages whose contents are all text
go to `normalize_messages`; any part makes it `expand` them (in a worker thread under
asyncio: it may fetch and parse). `expand` turns each message into one `Message` per text
part, per piece of a document (a PDF's page, a Markdown section, a plain text's paragraphs;
cut at `text.MAX_PIECE` characters) and per image, in order:

* a document's pieces share its `document_id` (new for each part), and each has
  ``metadata["document"] = {"id", "type": "pdf" | "markdown" | "text", "url", "part",
  "parts"}`` plus ``"page"`` (PDF) or ``"section"`` (Markdown: the heading path);
* an image is stored as a text stand-in (``[image 1: image/png, 2048 bytes]``) with
  ``metadata["image"]``, and carries the image itself as a data: URI for the LLM extractor's
  one call. Images need a model that takes them (``extractor: llm`` with ``llm.vision:
  true``); otherwise they are a ValidationError before anything is stored.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

from ..config import DocumentsConfig, MemoryConfig
from ..context import Context
from ..effects import Steps, compute
from ..errors import ValidationError
from ..messages import Message, message_items, normalize_messages, text_message
from . import markdown, pdf, text
from .sources import Source, load

MAX_PIECES = 1000  # messages one add call may turn its parts into
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_MARKDOWN_TYPES = ("text/markdown", "text/x-markdown", "text/mdx", "text/x-mdx")
_PART_TYPES = ("text", "image_url", "pdf_url", "mdx_url")


def read_messages(ctx: Context, messages: Any) -> Steps[list[Message]]:
    """The messages of an `add` call (see the module docstring)."""
    if not has_parts(messages):
        return normalize_messages(messages)
    msgs = yield from compute(expand, messages, ctx.config)
    return msgs


def has_parts(messages: Any) -> bool:
    """Whether any message's content is a part or a list of parts (not a plain text)."""
    items = [messages] if isinstance(messages, dict) else messages
    return isinstance(items, list | tuple) and any(
        isinstance(item, dict) and isinstance(item.get("content"), dict | list) for item in items
    )


def expand(messages: Any, config: MemoryConfig) -> list[Message]:
    """The messages, parts expanded (see the module docstring)."""
    vision = config.extractor == "llm" and config.llm.vision
    out: list[Message] = []
    images = 0
    for i, item in enumerate(message_items(messages)):
        content = item.get("content")
        if not isinstance(content, dict | list):
            out.append(text_message(i, item))
            continue
        parts = content if isinstance(content, list) else [content]
        if not parts:
            raise ValidationError(f"messages[{i}].content is an empty list of parts")
        role, name = item.get("role") or "user", item.get("name")
        for j, part in enumerate(parts):
            where = f"messages[{i}].content" + (f"[{j}]" if isinstance(content, list) else "")
            kind, value = _part(part, where)
            try:
                if kind == "text":
                    out.append(_message(role, name, value))
                elif kind == "image_url":
                    if not vision:
                        raise ValidationError(
                            "image parts need a model that takes images: set extractor: llm "
                            "and llm.vision: true"
                        )
                    images += 1
                    out.append(_image(role, name, load(value, config.documents), images))
                else:
                    source = load(value, config.documents)
                    out.extend(_document(role, name, kind, source, config.documents))
            except ValidationError as exc:
                raise ValidationError(f"{where}: {exc}") from exc
            if len(out) > MAX_PIECES:
                raise ValidationError(
                    f"the parts make more than {MAX_PIECES} pieces: add the document in "
                    "several calls"
                )
    return out


def _part(part: Any, where: str) -> tuple[str, str]:
    """A part's type and its text (text parts) or URL."""
    kind = part.get("type") if isinstance(part, dict) else None
    if kind not in _PART_TYPES:
        raise ValidationError(
            f"{where} must be a part with a type of {', '.join(_PART_TYPES)}, got {part!r:.80}"
        )
    value = part.get(kind)
    if kind != "text" and isinstance(value, dict):
        value = value.get("url")
    if not isinstance(value, str) or not value.strip():
        inner = "..." if kind == "text" else '{"url": ...}'
        shape = f'{{"type": "{kind}", "{kind}": {inner}}}'
        raise ValidationError(f"{where} must look like {shape}")
    return kind, value


def _message(role: str, name: str | None, content: str, **fields: Any) -> Message:
    try:
        return Message(role=role, name=name, content=content.strip(), **fields)
    except Exception as exc:
        raise ValidationError(str(exc)) from exc


def _image(role: str, name: str | None, source: Source, number: int) -> Message:
    if source.media_type not in _IMAGE_TYPES:
        raise ValidationError(
            f"an image must be one of {', '.join(_IMAGE_TYPES)}, got {source.media_type!r}"
        )
    about = {"media_type": source.media_type, "bytes": len(source.data), "url": source.url}
    stand_in = f"[image {number}: {source.url or source.media_type}, {len(source.data)} bytes]"
    data = base64.b64encode(source.data).decode("ascii")
    return _message(
        role,
        name,
        stand_in,
        metadata={"image": about},
        image=f"data:{source.media_type};base64,{data}",
    )


def _document(
    role: str, name: str | None, kind: str, source: Source, settings: DocumentsConfig
) -> list[Message]:
    located = list(_pieces(kind, source, settings))
    if not located:
        raise ValidationError("the document has no text (graphmem does not read scans)")
    document_id = str(uuid.uuid4())
    doc_type = (
        "pdf"
        if kind == "pdf_url"
        else ("markdown" if source.media_type in _MARKDOWN_TYPES else "text")
    )
    return [
        _message(
            role,
            name,
            piece,
            document_id=document_id,
            metadata={
                "document": {
                    "id": document_id,
                    "type": doc_type,
                    "url": source.url,
                    "part": n,
                    "parts": len(located),
                    **place,
                }
            },
        )
        for n, (place, piece) in enumerate(located, start=1)
    ]


def _pieces(
    kind: str, source: Source, settings: DocumentsConfig
) -> Iterator[tuple[dict[str, Any], str]]:
    """(where in the document, text) of each piece."""
    if kind == "pdf_url":
        if source.media_type != "application/pdf" and not source.data.startswith(b"%PDF"):
            raise ValidationError(f"a pdf_url part must hold a PDF, got {source.media_type!r}")
        for page, page_text in pdf.pages(source.data, settings.max_pages):
            for piece in text.pieces(page_text):
                yield {"page": page}, piece
        return
    if not source.media_type.startswith("text/"):
        raise ValidationError(f"an mdx_url part must hold text, got {source.media_type!r}")
    try:
        body = source.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"the document is not UTF-8 text: {exc}") from None
    if source.media_type not in _MARKDOWN_TYPES:
        for piece in text.pieces(body):
            yield {}, piece
        return
    for section in markdown.sections(body):
        for piece in text.pieces(section.text):
            yield {"section": section.title}, piece

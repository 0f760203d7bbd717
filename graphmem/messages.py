"""Normalize what `Memory.add` accepts (a string, one message dict, a list of messages)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field

from .errors import ValidationError

MAX_CONTENT = 100_000  # characters of one message


class Message(BaseModel):
    """One message of a conversation."""

    role: str = Field("user", min_length=1, max_length=32)
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    name: str | None = Field(None, max_length=256)
    # Set for the parts of documents and images (graphmem.documents): where the piece is
    # (merged into the episode's metadata), its document's id, and an image as a data: URI
    # (for the LLM extractor; not stored).
    metadata: dict[str, Any] | None = None
    document_id: str | None = None
    image: str | None = Field(None, repr=False)

    def content_hash(self) -> str:
        """Stable hash of role and content, used to recognise a message already stored."""
        return hashlib.sha256(f"{self.role}\n{self.content}".encode()).hexdigest()


def normalize_messages(messages: Any) -> list[Message]:
    """Turn the accepted input shapes into a non-empty list of Messages, or raise. (Contents
    made of parts, documents and images, are `add`'s: graphmem.documents.parts.)"""
    return [text_message(i, item) for i, item in enumerate(message_items(messages))]


def text_message(index: int, item: dict[str, Any]) -> Message:
    """The Message of `messages[index]`, a dict whose content is a text."""
    content = item.get("content")
    if isinstance(content, dict | list):
        raise ValidationError(
            f"messages[{index}].content is made of parts (documents, images): only add takes those"
        )
    if not isinstance(content, str) or not content.strip():
        raise ValidationError(f"messages[{index}].content must be a non-empty string")
    try:
        return Message(
            role=item.get("role") or "user", content=content.strip(), name=item.get("name")
        )
    except Exception as exc:
        raise ValidationError(f"messages[{index}]: {exc}") from exc


def message_items(messages: Any) -> list[dict[str, Any]]:
    """The accepted input shapes as a non-empty list of message dicts, or raise."""
    if isinstance(messages, str):
        items: list[Any] = [{"role": "user", "content": messages}]
    elif isinstance(messages, dict):
        items = [messages]
    elif isinstance(messages, list | tuple):
        items = list(messages)
    else:
        raise ValidationError(
            "messages must be a string, a {'role', 'content'} dict or a list of them, "
            f"not {type(messages).__name__}"
        )
    if not items:
        raise ValidationError("messages is empty: nothing to add")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError(f"messages[{i}] must be a dict with 'role' and 'content'")
    return items


def metadata_json(metadata: Any) -> str | None:
    """Metadata travels and is stored as JSON text; it must be a JSON-serializable dict."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise ValidationError(f"metadata must be a dict, not {type(metadata).__name__}")
    try:
        return json.dumps(metadata, sort_keys=True, default=_reject)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"metadata must be JSON-serializable: {exc}") from exc


def _reject(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")

"""The extractor interface: messages in, an `Extraction` out. No store access."""

from __future__ import annotations

from typing import Any, Protocol

from ..messages import Message
from .models import Extraction


class Extractor(Protocol):
    """Turns the messages of one `add` call into typed entities and relations.

    `speaker` names the user ("I", "me", "my" resolve to it); `occurred_at` (ISO) anchors
    relative times ("last year"); `existing` are the current facts (mem0-shaped dicts with
    id, source, relationship, target, memory) about entities the messages mention, which an
    LLM extractor shows the model so it can decide ADD/UPDATE/DELETE in the same call.
    """

    def extract(
        self,
        messages: list[Message],
        *,
        speaker: str,
        occurred_at: str,
        existing: list[dict[str, Any]] | None = None,
    ) -> Extraction: ...

"""The extractor interface: messages in, an `Extraction` out. No store access."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..messages import Message
from .models import Extraction


class Extractor(Protocol):
    """Turns the messages of one `add` call into typed entities and relations.

    `speaker` names the user ("I", "me", "my" resolve to it); `occurred_at` (ISO) anchors
    relative times ("last year"); `existing` are the current facts (mem0-shaped dicts with
    id, source, relationship, target, memory) about entities the messages mention, which an
    LLM extractor shows the model so it can decide ADD/UPDATE/DELETE in the same call;
    `rejected` are the (relation, object) pairs the owner marked wrong
    (`graphmem.feedback.Rejected`), which the caller drops from any extraction and the LLM
    extractor also tells the model about. `categories` is the call's own category taxonomy
    (`graphmem.categories`; None: the default one), for extractors that assign categories.
    """

    def extract(
        self,
        messages: list[Message],
        *,
        speaker: str,
        occurred_at: str,
        existing: list[dict[str, Any]] | None = None,
        rejected: Sequence[Any] = (),
        categories: Mapping[str, str] | None = None,
    ) -> Extraction: ...


@dataclass(frozen=True)
class ExtractionRequest:
    """The arguments of one `Extractor.extract` call, for extracting many calls at once (a
    batch extractor is never shown existing facts: the LLM extractor has no batch)."""

    messages: list[Message]
    speaker: str
    occurred_at: str


@runtime_checkable
class BatchExtractor(Extractor, Protocol):
    """An extractor that can do many `extract` calls at once (the offline one batches its
    parser over every message); each answer must equal that request's own `extract` call."""

    def extract_batch(self, requests: Sequence[ExtractionRequest]) -> list[Extraction]: ...

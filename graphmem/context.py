"""What every memory operation needs besides the store: config, ontology, embedder, extractor."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .config import MemoryConfig
from .embeddings import Embedder
from .entity_search import EntitySearch
from .extraction import Extraction, Extractor, make_extractor
from .messages import Message
from .ontology import Ontology
from .store.dialect import Dialect


@dataclass
class Context:
    """Shared by `Memory` and `AsyncMemory`; the operations in `writes`, `reads` and
    `retrieval` take it as their first argument."""

    config: MemoryConfig
    ontology: Ontology
    embedder: Embedder
    dialect: Dialect
    entity_search: EntitySearch | None = field(default=None, repr=False)  # owner-scoped lookup
    _extractor: Extractor | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def extractor(self) -> Extractor:
        """The configured extractor, built on first use (loads spaCy or the LLM client)."""
        with self._lock:
            if self._extractor is None:
                self._extractor = make_extractor(self.config, self.ontology)
            return self._extractor

    def extract(
        self,
        messages: list[Message],
        speaker: str,
        occurred_at: str,
        existing: list[dict[str, Any]] | None,
    ) -> Extraction:
        """Run the extractor (a CPU-bound or LLM call: operations yield it as a `Compute`)."""
        return self.extractor.extract(
            messages, speaker=speaker, occurred_at=occurred_at, existing=existing
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed texts in one model call (no call at all for an empty list)."""
        return self.embedder.embed(texts) if texts else []

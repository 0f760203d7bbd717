"""What every memory operation needs besides the store: config, ontology, embedder, extractor."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import MemoryConfig
from .effects import Query, Rows, Steps
from .embeddings import Embedder
from .extraction import Extraction, Extractor, make_extractor
from .messages import Message
from .ontology import Ontology
from .store.dialect import Dialect


class EntityLookup(Protocol):
    """The owner-scoped entity lookup the operations use: `graphmem.search.EntitySearch`,
    named here by what it does so that this module, which every operation imports, does not
    import the search package (whose operations import it)."""

    def similar_steps(
        self, owner: str, vector: Sequence[float], k: int = 10
    ) -> Steps[list[dict[str, Any]]]: ...

    def plan_steps(self, owner: str, k: int = 10) -> Steps[Any]: ...

    def first_query(self, plan: Any, owner: str, vector: Sequence[float], k: int) -> Query: ...

    def finish_steps(self, plan: Any, first: Query, rows: Rows) -> Steps[Any]: ...


@dataclass
class Context:
    """Shared by `Memory` and `AsyncMemory`; the operations in `writes`, `reads`, `search`,
    ... take it as their first argument."""

    config: MemoryConfig
    ontology: Ontology
    embedder: Embedder
    dialect: Dialect
    entity_search: EntityLookup | None = field(default=None, repr=False)
    _extractor: Extractor | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def extractor(self) -> Extractor:
        """The configured extractor, built on first use (loads spaCy or the LLM client)."""
        with self._lock:
            if self._extractor is None:
                self._extractor = make_extractor(self.config, self.ontology)
            return self._extractor

    @property
    def taxonomy(self) -> dict[str, str]:
        """The default category taxonomy: the config's, else the ontology's."""
        return self.config.categories or self.ontology.taxonomy()

    def extract(
        self,
        messages: list[Message],
        speaker: str,
        occurred_at: str,
        existing: list[dict[str, Any]] | None,
        rejected: Sequence[Any] = (),
        categories: dict[str, str] | None = None,
    ) -> Extraction:
        """Run the extractor (a CPU-bound or LLM call: operations yield it as a `Compute`);
        `rejected` (`graphmem.feedback.Rejected`, what the owner marked wrong) and
        `categories` (a call's own taxonomy) are passed on only when given."""
        extra: dict[str, Any] = {"rejected": rejected} if rejected else {}
        if categories is not None:
            extra["categories"] = categories
        return self.extractor.extract(
            messages, speaker=speaker, occurred_at=occurred_at, existing=existing, **extra
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed texts in one model call (no call at all for an empty list)."""
        return self.embedder.embed(texts) if texts else []

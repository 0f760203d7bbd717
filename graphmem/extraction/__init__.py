"""Extraction: conversation text to typed entities and relations (offline rules or one LLM call)."""

from __future__ import annotations

from typing import Any

from ..config import MemoryConfig
from ..messages import normalize_messages
from ..ontology import Ontology, load_ontology
from ..times import now_iso, to_iso
from .base import BatchExtractor, ExtractionRequest, Extractor
from .models import ExtractedEntity, ExtractedRelation, Extraction

__all__ = [
    "BatchExtractor",
    "ExtractedEntity",
    "ExtractedRelation",
    "Extraction",
    "ExtractionRequest",
    "Extractor",
    "extract",
    "make_extractor",
]


def make_extractor(config: MemoryConfig, ontology: Ontology) -> Extractor:
    """The extractor the config names: offline (default, no network) or the one-call LLM."""
    if config.extractor == "llm":
        from .llm import LLMExtractor
        from .retry import RetryPolicy

        llm = config.llm
        return LLMExtractor(
            ontology,
            model=llm.model,
            api_key=llm.api_key.get_secret_value() if llm.api_key else None,
            base_url=llm.base_url,
            prompt_path=llm.prompt_path,
            include=llm.include,
            exclude=llm.exclude,
            categories=config.categories,
            temperature=llm.temperature,
            timeout=llm.timeout,
            retry=RetryPolicy(
                max_retries=llm.max_retries,
                deadline=llm.retry_deadline,
                base=llm.backoff_base,
                cap=llm.backoff_max,
            ),
        )
    from .offline import OfflineExtractor

    return OfflineExtractor(ontology)


def extract(
    messages: Any,
    *,
    speaker: str = "User",
    occurred_at: Any = None,
    config: MemoryConfig | None = None,
) -> Extraction:
    """Extract typed entities and relations from a text or messages, without any store.

    >>> found = extract("I live in Oslo", speaker="Ida")
    >>> [(r.subject, r.relation, r.object) for r in found.relations]
    [('Ida', 'LIVES_IN', 'Oslo')]
    """
    config = config or MemoryConfig()
    msgs = normalize_messages(messages)
    name = next((m.name for m in msgs if m.name), None) or speaker
    extractor = make_extractor(config, load_ontology(config.ontology))
    return extractor.extract(msgs, speaker=name, occurred_at=to_iso(occurred_at) or now_iso())

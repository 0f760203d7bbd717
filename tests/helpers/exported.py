"""What an export document (`Memory.export()` / `POST /export`) holds, for the crash tests.

The document's nodes are the scope's entities and episodes, its relationships every version
of every fact (and the `MENTIONS` links); these read out the episodes and the fact versions.
"""

from __future__ import annotations

from typing import Any


def episodes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The exported episodes' properties (``id``, ``content``, ...), in the document's order."""
    return [n["properties"] for n in doc["nodes"] if "Episode" in n["labels"]]


def fact_versions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every exported fact version's properties (``memory_id``, ``fact``, ``version``, ...)."""
    return [r["properties"] for r in doc["relationships"] if "memory_id" in r["properties"]]

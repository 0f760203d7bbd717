"""The rerank hook: reorder search results with a stronger (slower) model.

None runs by default. Pass a reranker as `search(..., rerank=my_reranker)`: anything with
`rerank(query, documents) -> scores`, one relevance score per document text, higher is better
(a cross-encoder's logits, an LLM's grades). Search over-fetches candidates, the reranker
reorders them, and `limit` / `threshold` apply to the new scores. Scores already in [0, 1]
are kept; others (logits) are squashed into [0, 1] with a logistic, so `threshold` keeps its
meaning.

>>> class Longest:
...     def rerank(self, query: str, documents: list[str]) -> list[float]:
...         return [float(len(d)) for d in documents]
>>> [r["memory"] for r in apply(Longest(), "q", [{"memory": "ab", "score": 0.9},
...                                                  {"memory": "abc", "score": 0.1}])]
['abc', 'ab']

A sentence-transformers cross-encoder fits as is:

>>> from sentence_transformers import CrossEncoder  # doctest: +SKIP
>>> class CrossEncoderReranker:  # doctest: +SKIP
...     def __init__(self, name="cross-encoder/ms-marco-MiniLM-L-6-v2"):
...         self.model = CrossEncoder(name)
...     def rerank(self, query, documents):
...         return self.model.predict([(query, d) for d in documents]).tolist()
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Reranker(Protocol):
    """Scores documents for a query; higher means more relevant."""

    def rerank(self, query: str, documents: list[str]) -> list[float]: ...


def apply(reranker: Reranker, query: str, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`results` reordered by the reranker's scores, each score squashed into [0, 1] and the
    search's own score kept as `retrieval_score`."""
    if not results:
        return results
    scores = reranker.rerank(query, [str(r.get("memory") or "") for r in results])
    if len(scores) != len(results):
        raise ValueError(f"reranker returned {len(scores)} scores for {len(results)} results")
    values = [float(s) for s in scores]
    if not all(0.0 <= v <= 1.0 for v in values):
        values = [_squash(v) for v in values]
    out = [
        {**r, "retrieval_score": r.get("score"), "score": round(v, 6)}
        for r, v in zip(results, values, strict=True)
    ]
    return sorted(out, key=lambda r: -r["score"])


def _squash(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))

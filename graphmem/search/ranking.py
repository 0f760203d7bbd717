"""Pure scoring for `search`: graph proximity, recency, and the weighted blend into [0, 1].

Search gathers candidates (facts found by traversal, episodes found by vector search) and the
entry points that led there; this module decides their order. No I/O here, so every rule is
unit-tested without a store.

**Graph proximity** is personalized PageRank over the expanded subgraph, restarted at the entry
points in proportion to how strongly the query named them. It is a plain power iteration in
numpy: on the subgraphs search sees (tens to a few thousand edges) `networkx.pagerank` spends
8-45 ms converting the graph (measured here), this ~0.1-1 ms; the tests check both agree.

**Blend.** A fact's score is

    W_INTENT * intent + W_ANCHOR * anchor + W_PROXIMITY * proximity + W_SIMILARITY * similarity
    + W_RECENCY * recency

where `intent` is the query's intent score for the fact's relation type (`graphmem.intent`),
`anchor` is 1 when the fact touches an entity the question is about (named in it, or reached
through a possessive chain like "Alice's manager"), 0.5 when it touches one found by vector
similarity or another named entity, `proximity` the endpoints' PageRank (normalized to the
best), `similarity` the cosine of the fact's sentence to the query (negative -> 0), and
`recency` halves every `HALF_LIFE_DAYS` before the newest candidate. An episode (raw text) has
no relation type: it scores on similarity, whether it was said by or mentions what the
question is about (`graphmem.search.scoring`), and its own PageRank, with weights that sum
to 1 as well. Every weight is in [0, 1] and each family sums
to 1, so every score is in [0, 1] and `threshold` means the same for facts and episodes.

**Feedback** (`graphmem.feedback`) then moves a fact's blended score `s` by the latest feedback
on its version: POSITIVE lifts it `FEEDBACK_LIFT` of the way to 1 (``s + (1 - s) * 0.25``),
NEGATIVE scales it by `FEEDBACK_DROP` (``s * 0.5``), VERY_NEGATIVE (a retracted version, seen
only with `include_history`) by `FEEDBACK_DROP` squared. Still in [0, 1], order kept among
facts with the same feedback.

>>> blend(FactFeatures(intent=1.0, anchor=1.0, proximity=1.0, similarity=1.0, recency=1.0))
1.0
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import numpy as np

W_INTENT = 0.30
W_ANCHOR = 0.20
W_PROXIMITY = 0.15
W_SIMILARITY = 0.30
W_RECENCY = 0.05

E_SIMILARITY = 0.50
E_ANCHOR = 0.40
E_PROXIMITY = 0.05
E_RECENCY = 0.05

FEEDBACK_LIFT = 0.25
FEEDBACK_DROP = 0.5

HALF_LIFE_DAYS = 365.0
ALPHA = 0.85  # PageRank damping: the chance to follow an edge rather than restart at a seed
_TOL = 1e-8
_MAX_ITER = 100
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class FactFeatures:
    """What the blend knows about one fact candidate (each in [0, 1])."""

    intent: float
    anchor: float
    proximity: float
    similarity: float
    recency: float
    feedback: str | None = None  # the latest feedback on the version (graphmem.feedback)


@dataclass(frozen=True)
class EpisodeFeatures:
    """What the blend knows about one episode candidate (each in [0, 1])."""

    similarity: float
    anchor: float
    proximity: float
    recency: float


def blend(f: FactFeatures | EpisodeFeatures) -> float:
    """The score of a candidate in [0, 1] (see the module docstring)."""
    if isinstance(f, FactFeatures):
        total = (
            W_INTENT * f.intent
            + W_ANCHOR * f.anchor
            + W_PROXIMITY * f.proximity
            + W_SIMILARITY * f.similarity
            + W_RECENCY * f.recency
        )
        total = with_feedback(min(1.0, max(0.0, total)), f.feedback)
    else:
        total = (
            E_SIMILARITY * f.similarity
            + E_ANCHOR * f.anchor
            + E_PROXIMITY * f.proximity
            + E_RECENCY * f.recency
        )
    return round(min(1.0, max(0.0, total)), 6)


def with_feedback(score: float, feedback: str | None) -> float:
    """A fact's score in [0, 1] moved by the feedback on it (see the module docstring).

    >>> with_feedback(0.6, "POSITIVE"), with_feedback(0.6, "NEGATIVE"), with_feedback(0.6, None)
    (0.7, 0.3, 0.6)
    """
    if feedback == "POSITIVE":
        return score + (1.0 - score) * FEEDBACK_LIFT
    if feedback == "NEGATIVE":
        return score * FEEDBACK_DROP
    if feedback == "VERY_NEGATIVE":
        return score * FEEDBACK_DROP * FEEDBACK_DROP
    return score


def personalized_pagerank(
    edges: Iterable[tuple[K, K]],
    seeds: Mapping[K, float],
    alpha: float = ALPHA,
) -> dict[K, float]:
    """PageRank over the undirected multigraph `edges`, restarting at `seeds` (by weight).

    Returns every node's score (summing to 1). Nodes of no edge that are seeds keep their
    restart share; without any positive seed weight the restart is uniform.

    >>> pr = personalized_pagerank([("a", "b"), ("b", "c"), ("c", "d")], {"a": 1.0})
    >>> pr["b"] > pr["a"] > pr["c"] > pr["d"]  # b: one step from the seed, two edges
    True
    """
    pairs = list(edges)
    nodes: dict[K, int] = {}
    for a, b in pairs:
        nodes.setdefault(a, len(nodes))
        nodes.setdefault(b, len(nodes))
    for s in seeds:
        nodes.setdefault(s, len(nodes))
    n = len(nodes)
    if n == 0:
        return {}
    restart = np.zeros(n)
    for s, w in seeds.items():
        restart[nodes[s]] += max(0.0, float(w))
    restart = restart / restart.sum() if restart.sum() > 0 else np.full(n, 1.0 / n)
    src = np.array([nodes[a] for a, b in pairs] + [nodes[b] for a, b in pairs], dtype=np.int64)
    dst = np.array([nodes[b] for a, b in pairs] + [nodes[a] for a, b in pairs], dtype=np.int64)
    degree = np.bincount(src, minlength=n).astype(float)
    dangling = degree == 0
    share = np.divide(1.0, degree, out=np.zeros(n), where=~dangling)
    rank = restart.copy()
    for _ in range(_MAX_ITER):
        flow = np.bincount(dst, weights=rank[src] * share[src], minlength=n)
        new = alpha * (flow + rank[dangling].sum() * restart) + (1 - alpha) * restart
        if np.abs(new - rank).sum() < n * _TOL:
            rank = new
            break
        rank = new
    return {node: float(rank[i]) for node, i in nodes.items()}


def normalized(scores: Mapping[K, float]) -> dict[K, float]:
    """Scores divided by the best one (all 0 when there is no positive score).

    >>> normalized({"a": 2.0, "b": 1.0})
    {'a': 1.0, 'b': 0.5}
    """
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return {k: 0.0 for k in scores}
    return {k: max(0.0, v) / best for k, v in scores.items()}


def recency(when: str | None, newest: str | None, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """1 for the newest candidate, halving every `half_life_days` before it; 0.5 if unknown.

    >>> recency("2024-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00", 366)
    0.5
    """
    if not when or not newest:
        return 0.5
    age = (datetime.fromisoformat(newest) - datetime.fromisoformat(when)).total_seconds()
    return float(0.5 ** (max(0.0, age) / (half_life_days * 86400.0)))


def clamp01(x: float | None) -> float:
    """A similarity or weight clipped to [0, 1] (None -> 0)."""
    return 0.0 if x is None else min(1.0, max(0.0, float(x)))

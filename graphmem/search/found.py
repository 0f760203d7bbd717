"""What one search has found so far: entry points, candidate facts, episodes, and how each
entity was reached.

The entry points (`graphmem.search.entry_points`) fill `seeds`, `entry`, `named`, `focus` and
`episodes`; traversal (`graphmem.search.traversal`) and derived relations
(`graphmem.search.derived`) add `facts`, `depth` and `reached_by`; scoring and shaping only
read it. `path` explains a fact by the facts that led to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import ranking

MAX_HOPS = 4  # traversal rounds at most (search's and neighbors' `hops`)


@dataclass
class Candidate:
    """A fact found by traversal (or a derived one), before scoring."""

    record: dict[str, Any]
    similarity: float
    path: list[str] = field(default_factory=list)  # version ids of the edges that explain it


@dataclass
class Found:
    """Everything the entry points and the traversal found."""

    seeds: dict[str, float] = field(default_factory=dict)  # entity id -> restart weight
    focus: set[str] = field(default_factory=set)  # what the question is about
    entry: dict[str, dict[str, Any]] = field(default_factory=dict)  # entity id -> entry point
    facts: dict[str, Candidate] = field(default_factory=dict)  # version id -> candidate
    episodes: list[dict[str, Any]] = field(default_factory=list)
    named: dict[str, str] = field(default_factory=dict)  # entity id -> the query's name key
    depth: dict[str, int] = field(default_factory=dict)  # entity id -> hops from an entry point
    reached_by: dict[str, str] = field(default_factory=dict)  # entity id -> fact version id

    def path(self, fact: dict[str, Any]) -> list[str]:
        """Version ids of the facts leading from an entry point to `fact` (itself excluded)."""
        ends = (fact["source_id"], fact["target_id"])
        node = min(ends, key=lambda e: (e not in self.focus, self.depth.get(e, MAX_HOPS + 1)))
        out: list[str] = []
        while node in self.reached_by and len(out) <= MAX_HOPS:
            vid = self.reached_by[node]
            out.append(vid)
            step = self.facts[vid].record
            node = step["source_id"] if step["target_id"] == node else step["target_id"]
        return out[::-1]

    def seed(self, entity: dict[str, Any], weight: float, via: str) -> None:
        """Add an entry point; a name found in the query keeps the weight it was given."""
        eid = entity["id"]
        if weight <= 0.0 or (eid in self.named and via != "name"):
            return
        if via == "name" or weight > self.seeds.get(eid, -1.0):
            self.seeds[eid] = weight
            self.entry[eid] = {
                "id": eid,
                "name": entity.get("name"),
                "type": entity.get("type"),
                "score": round(ranking.clamp01(weight), 6),
                "via": via,
            }

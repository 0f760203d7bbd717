"""Search: `search`, `neighbors` and the read-only `query` passthrough, and the owner-scoped
entity lookup they and entity resolution use.

The operations are effect generators taking the `Context` first (see `graphmem.effects`), run
by `Memory` and `AsyncMemory`. How `search` answers "where does Alice's manager live?", one
module a step:

1. **Entry points** (`entry_points`): the query read with the ontology (`intent`) gives the
   owner's entities it names, its full-text and vector hits (`entity_lookup`) and the episodes
   closest to it, which bring the entities they mention.
2. **Traversal** (`traversal`): `hops` rounds of expansion from the entry entities collect the
   facts in scope and time, a bounded number per round; possessive chains ("Alice's manager")
   are followed through them. **Derived relations** (`derived`) such as WORKS_WITH are matched
   as graph patterns, not guessed from similarity.
3. **Ranking** (`scoring`, with the pure rules in `ranking`): every fact and episode found gets
   one score in [0, 1]. Filters and `threshold` apply, an optional reranker reorders
   (`rerank`), and the results are read in full with the episodes each fact came from
   attached as its `sources` (`shaping`).

`query` checks the caller's Cypher first (`readonly`); `operations` holds the three operations.

>>> with Memory() as m:  # doctest: +SKIP
...     m.add_relation("Alice", "REPORTS_TO", "Bob", user_id="u")
...     m.add_relation("Bob", "LIVES_IN", "Paris", user_id="u")
...     m.search("Where does Alice's manager live?", user_id="u")["results"][0]["memory"]
'Bob lives in Paris'
"""

from .entity_lookup import EntitySearch, searcher, similar_entities
from .operations import neighbors, query, search
from .rerank import Reranker

__all__ = [
    "EntitySearch",
    "Reranker",
    "neighbors",
    "query",
    "search",
    "searcher",
    "similar_entities",
]

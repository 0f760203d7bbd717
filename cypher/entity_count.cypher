// Counts all entities of every owner (the vector index's population); picks the search strategy.
// params: none
MATCH (n:Entity)
RETURN count(n) AS count

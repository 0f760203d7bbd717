// Counts every owner's entities: the population of the entity vector index (sizes the index
// over-fetch in graphmem.search.entity_lookup; cached briefly there).
// params: none
MATCH (n:Entity)
RETURN count(n) AS count

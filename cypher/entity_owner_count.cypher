// Counts one owner's entities through the Entity.owner index (sizes the owner for the choice of
// vector search strategy in graphmem.search.entity_lookup; cached briefly there).
// params: owner
MATCH (n:Entity {owner: $owner})
RETURN count(n) AS count

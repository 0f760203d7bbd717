// Counts an owner's entities (uses the Entity.owner index); picks the vector search strategy.
// params: owner
MATCH (n:Entity {owner: $owner})
RETURN count(n) AS count

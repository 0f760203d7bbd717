// Mirrors one batch of entities that have no EntityVector yet: a store made before the mirror
// existed, filled in once when it is opened. ArcadeDB only (see entity_vector_mirror).
// params: batch
MATCH (n:Entity)
WHERE NOT EXISTS { MATCH (v:EntityVector {id: n.id}) }
WITH n LIMIT $batch
CREATE (v:EntityVector {id: n.id, owner: n.owner, embedding: n.embedding})
RETURN count(v) AS created

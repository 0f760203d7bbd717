// Erases one batch of EntityVector mirrors whose entity is gone, every owner's: entities deleted
// by hand, found when a store is opened. ArcadeDB only (see entity_vector_mirror).
// params: batch
MATCH (v:EntityVector)
WHERE NOT EXISTS { MATCH (n:Entity {id: v.id}) }
WITH v LIMIT $batch
DELETE v
RETURN count(*) AS deleted

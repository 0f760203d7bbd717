// Erases one batch of an owner's EntityVector mirrors whose entity is gone (after delete_all).
// ArcadeDB only (see entity_vector_mirror).
// params: owner, batch
MATCH (v:EntityVector {owner: $owner})
WHERE NOT EXISTS { MATCH (n:Entity {id: v.id}) }
WITH v LIMIT $batch
DELETE v
RETURN count(*) AS deleted

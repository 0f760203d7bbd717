// Erases one batch of EntityVector mirrors, every owner's (reset).
// ArcadeDB only (see entity_vector_mirror).
// params: batch
MATCH (v:EntityVector)
WITH v LIMIT $batch
DELETE v
RETURN count(*) AS deleted

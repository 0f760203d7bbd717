// Removes the EntityVector mirrors of entities that are gone (merged into another).
// ArcadeDB only (see entity_vector_mirror).
// params: ids
UNWIND $ids AS id
MATCH (v:EntityVector {id: id})
DELETE v
RETURN count(*) AS deleted

// Copies entities' owner and embedding into their EntityVector mirror, created or updated.
// ArcadeDB only (the store skips cypher/arcadedb/ on other engines). ArcadeDB keeps one vector
// graph per label of an indexed type (Entity:Person, Entity:Place, ...), so a lookup searched
// five or six graphs; the mirror type has one, and an owner-scoped lookup costs about half
// (graphmem.entity_search). Every statement that creates entities is followed by this one in
// the same transaction, so the mirror never misses an entity.
// params: ids
UNWIND $ids AS id
MATCH (n:Entity {id: id})
MERGE (v:EntityVector {id: n.id})
SET v.owner = n.owner, v.embedding = n.embedding
RETURN count(v) AS mirrored

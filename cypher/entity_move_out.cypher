// Moves the facts of one type leaving an entity to another entity: each relationship is
// re-created with all its properties (versions, times, provenance) and the old one removed.
// params: from_id, to_id
MATCH (d:Entity {id: $from_id})-[r:__TYPE__]->(o:Entity)
MATCH (k:Entity {id: $to_id})
CREATE (k)-[c:__TYPE__]->(o)
SET c = properties(r)
DELETE r
RETURN count(c) AS moved

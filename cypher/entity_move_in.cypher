// Moves the facts of one type entering an entity to another entity (see entity_move_out).
// params: from_id, to_id
MATCH (o:Entity)-[r:__TYPE__]->(d:Entity {id: $from_id})
MATCH (k:Entity {id: $to_id})
CREATE (o)-[c:__TYPE__]->(k)
SET c = properties(r)
DELETE r
RETURN count(c) AS moved

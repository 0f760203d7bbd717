// Counts one more mention of an entity.
// params: id, now
MATCH (n:Entity {id: $id})
SET n.mentions = coalesce(n.mentions, 0) + 1, n.updated_at = datetime($now)
RETURN n.id AS id

// The relationship types of the facts (any status) touching one entity.
// params: id
MATCH (n:Entity {id: $id})-[r]-(:Entity)
RETURN DISTINCT type(r) AS type

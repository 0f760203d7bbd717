// One entity by id: its name and type.
// params: id
MATCH (n:Entity {id: $id})
RETURN n.id AS id, n.name AS name, n.type AS type

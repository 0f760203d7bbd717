// Finds an entity by normalized name within an owner's namespace.
// params: owner, name_key
MATCH (n:Entity {owner: $owner, name_key: $name_key})
RETURN n.id AS id, n.name AS name, n.type AS type
LIMIT 1

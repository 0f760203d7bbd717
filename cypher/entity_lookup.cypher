// Finds an owner's entity by id or normalized name (the caller names entities either way).
// params: owner, id, name_key
MATCH (n:Entity {owner: $owner})
WHERE n.id = $id OR n.name_key = $name_key
RETURN n.id AS id, n.name AS name, n.type AS type, n.aliases AS aliases
LIMIT 2

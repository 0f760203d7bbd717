// Names, aliases and types of an owner's entities (entity resolution beyond the exact name).
// params: owner
MATCH (n:Entity {owner: $owner})
RETURN n.id AS id, n.name AS name, n.type AS type, n.aliases AS aliases

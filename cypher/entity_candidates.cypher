// An owner's entities whose canonical first word is $first_key (entity resolution candidates).
// params: owner, first_key
MATCH (n:Entity {owner: $owner, first_key: $first_key})
RETURN n.id AS id, n.name AS name, n.type AS type, n.aliases AS aliases

// An owner's entities whose canonical first word is $first_key, or that took a name with that
// first word as an alias (a merge, an alias with another first word: alias_keys, indexed through
// alias_owner): the entity resolution candidates.
// params: owner, first_key
MATCH (n:Entity {owner: $owner, first_key: $first_key})
RETURN n.id AS id, n.name AS name, n.type AS type, n.aliases AS aliases
UNION
MATCH (n:Entity {alias_owner: $owner})
WHERE n.owner = $owner AND $first_key IN n.alias_keys
RETURN n.id AS id, n.name AS name, n.type AS type, n.aliases AS aliases

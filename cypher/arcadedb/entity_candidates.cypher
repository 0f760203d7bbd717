// ArcadeDB variant of entity_candidates: its Cypher seeks a single-property index only for a
// WHERE that compares that one property with a parameter (Entity(first_key) and
// Entity(alias_owner), see dialect.arcadedb_search_schema); the composite (owner, first_key)
// index is not used and the lookup scanned the owner's entities.
// params: owner, first_key
MATCH (n:Entity)
WHERE n.first_key = $first_key
WITH n WHERE n.owner = $owner
RETURN n.id AS id, n.name AS name, n.type AS type, n.aliases AS aliases
UNION
MATCH (n:Entity)
WHERE n.alias_owner = $owner
WITH n WHERE n.owner = $owner AND $first_key IN n.alias_keys
RETURN n.id AS id, n.name AS name, n.type AS type, n.aliases AS aliases

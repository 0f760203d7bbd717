// Records another name of an entity (kept once in aliases and the full-text alias_text), and
// sets its name; counts the mention. An alias whose first key ($alias_key) is not the name's
// is kept in alias_keys under alias_owner (entity_candidates finds the entity by it). No row
// when the entity is gone.
// params: id, name, name_key, first_key, alias, alias_key, now
MATCH (n:Entity {id: $id})
WITH n, CASE WHEN $alias IN coalesce(n.aliases, []) OR $alias = $name
             THEN coalesce(n.aliases, []) ELSE coalesce(n.aliases, []) + [$alias] END AS aliases,
     CASE WHEN $alias_key = $first_key OR $alias_key IN coalesce(n.alias_keys, [])
          THEN coalesce(n.alias_keys, []) ELSE coalesce(n.alias_keys, []) + [$alias_key] END AS keys
SET n.name = $name, n.name_key = $name_key, n.first_key = $first_key, n.aliases = aliases,
    n.alias_text = reduce(text = '', a IN aliases | text + ' ' + a),
    n.alias_keys = keys, n.alias_owner = CASE WHEN size(keys) > 0 THEN n.owner ELSE null END,
    n.mentions = coalesce(n.mentions, 0) + 1, n.updated_at = datetime($now)
RETURN n.id AS id

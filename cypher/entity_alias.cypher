// Records another name of an entity (kept once in aliases and the full-text alias_text), and
// sets its name; counts the mention. No row when the entity is gone.
// params: id, name, name_key, first_key, alias, now
MATCH (n:Entity {id: $id})
WITH n, CASE WHEN $alias IN coalesce(n.aliases, []) OR $alias = $name
             THEN coalesce(n.aliases, []) ELSE coalesce(n.aliases, []) + [$alias] END AS aliases
SET n.name = $name, n.name_key = $name_key, n.first_key = $first_key, n.aliases = aliases,
    n.alias_text = reduce(text = '', a IN aliases | text + ' ' + a),
    n.mentions = coalesce(n.mentions, 0) + 1, n.updated_at = datetime($now)
RETURN n.id AS id

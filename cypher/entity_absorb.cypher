// Ends a merge: the kept entity takes the other's name and aliases as aliases and its
// mentions (its episodes' MENTIONS links too); the other entity is removed.
// params: from_id, to_id, now
MATCH (d:Entity {id: $from_id})
MATCH (k:Entity {id: $to_id})
OPTIONAL MATCH (e:Episode)-[:MENTIONS]->(d)
WITH d, k, collect(e) AS episodes
FOREACH (e IN episodes | MERGE (e)-[:MENTIONS]->(k))
WITH d, k, [a IN coalesce(k.aliases, []) + [d.name] + coalesce(d.aliases, []) WHERE a <> k.name] AS names
WITH d, k, reduce(acc = [], a IN names | CASE WHEN a IN acc THEN acc ELSE acc + [a] END) AS aliases
SET k.aliases = aliases, k.alias_text = reduce(text = '', a IN aliases | text + ' ' + a),
    k.mentions = coalesce(k.mentions, 0) + coalesce(d.mentions, 0), k.updated_at = datetime($now)
DETACH DELETE d
RETURN k.id AS id

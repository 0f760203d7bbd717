// ArcadeDB variant of entity_absorb: the removed entity's EntityVector mirror goes with it (see
// entity_create).
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
WITH d, k
CALL (d) {
  MATCH (v:EntityVector {id: d.id})
  DELETE v
}
DETACH DELETE d
RETURN k.id AS id

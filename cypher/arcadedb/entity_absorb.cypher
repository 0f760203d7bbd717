// ArcadeDB variant of entity_absorb: the removed entity's EntityVector mirror goes with it (see
// entity_create).
// params: from_id, to_id, now
MATCH (d:Entity {id: $from_id})
MATCH (k:Entity {id: $to_id})
OPTIONAL MATCH (e:Episode)-[:MENTIONS]->(d)
WITH d, k, collect(e) AS episodes
FOREACH (e IN episodes | MERGE (e)-[:MENTIONS]->(k))
{{ absorbed_names(k) }}
WITH d, k
CALL (d) {
  MATCH (v:EntityVector {id: d.id})
  DELETE v
}
DETACH DELETE d
RETURN k.id AS id

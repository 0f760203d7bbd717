// Ends a merge: the kept entity takes the other's names (see parts/absorbed_names) and its
// mentions (its episodes' MENTIONS links too); the other entity is removed.
// params: from_id, to_id, now
MATCH (d:Entity {id: $from_id})
MATCH (k:Entity {id: $to_id})
OPTIONAL MATCH (e:Episode)-[:MENTIONS]->(d)
WITH d, k, collect(e) AS episodes
FOREACH (e IN episodes | MERGE (e)-[:MENTIONS]->(k))
{{ absorbed_names(k) }}
DETACH DELETE d
RETURN k.id AS id

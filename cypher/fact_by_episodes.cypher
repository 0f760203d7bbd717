// The versions (any status) that cite any of some episodes among their sources, found through
// the entities those episodes mention.
// params: episode_ids, owner
UNWIND $episode_ids AS episode_id
MATCH (:Episode {id: episode_id, owner: $owner})-[:MENTIONS]->(:Entity)-[r]-(:Entity)
WHERE r.owner = $owner AND episode_id IN r.episode_ids
WITH DISTINCT r
MATCH (s:Entity)-[r]->(o:Entity)
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.memory_id, r.version

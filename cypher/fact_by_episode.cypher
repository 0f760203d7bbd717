// The versions (any status) that cite one episode among their sources, found through the
// entities the episode mentions.
// params: episode_id, owner
MATCH (:Episode {id: $episode_id, owner: $owner})-[:MENTIONS]->(:Entity)-[r]-(:Entity)
WHERE r.owner = $owner AND $episode_id IN r.episode_ids
WITH DISTINCT r
MATCH (s:Entity)-[r]->(o:Entity)
RETURN r {.*, embedding: null,
         valid_from: toString(r.valid_from), valid_to: toString(r.valid_to),
         recorded_at: toString(r.recorded_at), expired_at: toString(r.expired_at),
         created_at: toString(r.created_at),
         expiration_date: toString(r.expiration_date)} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.memory_id, r.version

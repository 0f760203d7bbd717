// The versions of one memory that touch one entity, oldest first (where a late fact fits).
// params: entity_id, memory_id
MATCH (e:Entity {id: $entity_id})-[r]-(:Entity)
WHERE r.memory_id = $memory_id
WITH DISTINCT r
MATCH (s:Entity)-[r]->(o:Entity)
RETURN r {.*, embedding: null,
         valid_from: toString(r.valid_from), valid_to: toString(r.valid_to),
         recorded_at: toString(r.recorded_at), expired_at: toString(r.expired_at),
         created_at: toString(r.created_at),
         expiration_date: toString(r.expiration_date)} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.version

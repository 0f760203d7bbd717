// The versions of one memory that touch one entity, oldest first (where a late fact fits).
// params: entity_id, memory_id
MATCH (e:Entity {id: $entity_id})-[r]-(:Entity)
WHERE r.memory_id = $memory_id
WITH DISTINCT r
MATCH (s:Entity)-[r]->(o:Entity)
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.version

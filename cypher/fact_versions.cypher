// Every version of one fact, oldest first.
// params: memory_id
MATCH (s:Entity)-[r]->(o:Entity)
WHERE r.memory_id = $memory_id
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.version

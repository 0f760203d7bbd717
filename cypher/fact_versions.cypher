// Every version of one fact, oldest first, by a scan of every relationship: for memory ids
// that name no type (stores made before typed ids; see graphmem/facts.py), and when the type
// an id names has no version left. fact_versions_of_type is the index seek.
// params: memory_id
MATCH (s:Entity)-[r]->(o:Entity)
WHERE r.memory_id = $memory_id
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.version

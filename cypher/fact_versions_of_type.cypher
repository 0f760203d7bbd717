// Every version of one memory that has one (checked) relationship type, oldest first: a seek of
// the type's memory_id index (graphmem.reads.versions; memory ids in graphmem/facts.py).
// The ends stay unlabelled: ArcadeDB seeks the index only then (with (s:Entity) it expands
// every entity instead). Each version's memory_types (in r) names the memory's other types.
// params: memory_id
MATCH (s)-[r:__TYPE__]->(o)
WHERE r.memory_id = $memory_id
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.version

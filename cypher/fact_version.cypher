// One version of a fact, reached through its subject entity (cheap: no scan of all facts).
// params: subject_id, id
MATCH (s:Entity {id: $subject_id})-[r]->(o:Entity)
WHERE r.id = $id
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target

// One version of a fact, reached through its subject entity (cheap: no scan of all facts).
// params: subject_id, id
MATCH (s:Entity {id: $subject_id})-[r]->(o:Entity)
WHERE r.id = $id
RETURN r {.*, embedding: null,
         valid_from: toString(r.valid_from), valid_to: toString(r.valid_to),
         recorded_at: toString(r.recorded_at), expired_at: toString(r.expired_at),
         created_at: toString(r.created_at),
         expiration_date: toString(r.expiration_date)} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target

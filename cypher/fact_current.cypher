// Current facts leaving one entity with a type in $types, within a scope (reconciliation
// candidates: the same relation, and those it contradicts).
// params: subject_id, types, owner, agent_id, run_id
MATCH (s:Entity {id: $subject_id})-[r]->(o:Entity)
WHERE type(r) IN $types AND r.status = 'current' AND r.owner = $owner
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
RETURN r {.*, embedding: null} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target

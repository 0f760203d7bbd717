// Current facts touching one entity within a scope: those leaving it with a type in
// $out_types, and those entering it with a type in $in_types (reconciliation candidates: the
// relation itself, its symmetric and inverse views, and the relations it contradicts).
// params: entity_id, out_types, in_types, owner, agent_id, run_id
MATCH (s:Entity {id: $entity_id})-[r]->(o:Entity)
WHERE type(r) IN $out_types AND r.status = 'current' AND r.owner = $owner
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
UNION ALL
MATCH (s:Entity)-[r]->(o:Entity {id: $entity_id})
WHERE type(r) IN $in_types AND r.status = 'current' AND r.owner = $owner
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target

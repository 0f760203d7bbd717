// Current, unexpired facts of a scope, newest first, one page.
// params: owner, agent_id, run_id, now, skip, limit
MATCH (s:Entity {owner: $owner})-[r]->(o:Entity)
WHERE r.status = 'current' AND r.owner = $owner
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
  AND (r.expiration_date IS NULL OR r.expiration_date > datetime($now))
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.recorded_at DESC, r.id
SKIP $skip LIMIT $limit

// Export: one page of a scope's fact versions (all statuses, every property), in id order.
// params: owner, agent_id, run_id, after, limit
MATCH (s:Entity {owner: $owner})-[r]->(o:Entity)
WHERE r.owner = $owner AND r.id > $after
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
RETURN r.id AS id, type(r) AS type, s.id AS start, o.id AS end, properties(r) AS props
ORDER BY r.id
LIMIT $limit

// Export: one page of a scope's episodes (every property and label), in id order.
// params: owner, agent_id, run_id, after, limit
MATCH (e:Episode {owner: $owner})
WHERE e.id > $after
  AND ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
RETURN e.id AS id, labels(e) AS labels, properties(e) AS props
ORDER BY e.id
LIMIT $limit

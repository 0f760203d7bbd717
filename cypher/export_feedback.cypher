// Export: one page of a scope's feedback records (every property and label), in id order.
// params: owner, agent_id, run_id, after, limit
MATCH (f:Feedback {owner: $owner})
WHERE f.id > $after
  AND ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
RETURN f.id AS id, labels(f) AS labels, properties(f) AS props
ORDER BY f.id
LIMIT $limit

// The feedback a scope gave in [since, until), oldest first (changes).
// params: owner, agent_id, run_id, since, until, limit
MATCH (f:Feedback {owner: $owner})
WHERE ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
  AND f.at >= datetime($since)
  AND ($until IS NULL OR f.at < datetime($until))
RETURN f {.*, at: toString(f.at), cleared_at: toString(f.cleared_at)} AS f
ORDER BY f.at, f.id
LIMIT $limit

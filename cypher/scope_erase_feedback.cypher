// Erases one batch of a scope's feedback records (delete_all).
// params: owner, agent_id, run_id, batch
MATCH (f:Feedback {owner: $owner})
WHERE ($agent_id IS NULL OR f.agent_id = $agent_id)
  AND ($run_id IS NULL OR f.run_id = $run_id)
WITH f LIMIT $batch
DETACH DELETE f
RETURN count(*) AS deleted

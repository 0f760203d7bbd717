// Erases one batch of a scope's fact versions (delete_all); other scopes are untouched.
// params: owner, agent_id, run_id, batch
MATCH (s:Entity {owner: $owner})-[r]->()
WHERE r.owner = $owner
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
WITH r LIMIT $batch
DELETE r
RETURN count(*) AS deleted

// Erases one batch of a scope's episodes (delete_all).
// params: owner, agent_id, run_id, batch
MATCH (e:Episode {owner: $owner})
WHERE ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
WITH e LIMIT $batch
DETACH DELETE e
RETURN count(*) AS deleted

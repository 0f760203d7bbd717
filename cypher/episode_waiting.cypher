// Reprocess: an owner's episodes waiting for extraction (narrowed by agent and run), in the
// order they occurred.
// params: owner, agent_id, run_id
MATCH (e:Episode {owner: $owner})
WHERE e.extraction = 'waiting'
  AND ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
RETURN {{ waiting_episode(e) }} AS episode
ORDER BY e.occurred_at, e.recorded_at, e.extraction_call, e.extraction_part

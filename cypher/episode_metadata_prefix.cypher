// The scope's episodes whose metadata text (JSON, keys sorted: graphmem.messages.metadata_json)
// starts with one of $prefixes, newest first: the items of the LangGraph store
// (graphmem.integrations.langgraph_items), looked up by the prefix of their address.
// params: owner, agent_id, run_id, prefixes
MATCH (e:Episode {owner: $owner})
WHERE ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
  AND e.metadata IS NOT NULL
  AND any(prefix IN $prefixes WHERE e.metadata STARTS WITH prefix)
RETURN e.id AS id, e.metadata AS metadata, toString(e.recorded_at) AS recorded_at
ORDER BY e.recorded_at DESC, e.id

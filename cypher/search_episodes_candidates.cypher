// Approximate episode search: the vector index's nearest $candidates episodes of every owner,
// then only those in the caller's scope (the index filters after its lookup), with the
// entities each one mentions. The caller falls back to the exact scan when fewer than $k
// come back. Score: (1 + cos) / 2 on both engines (normalized by the dialect).
// params: index, candidates, vector, owner, agent_id, run_id, k
CALL db.index.vector.queryNodes($index, $candidates, $vector)
YIELD node, score
WITH node AS e, score
WHERE e.owner = $owner
  AND ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
WITH e, score
ORDER BY score DESC, e.id
LIMIT $k
OPTIONAL MATCH (e)-[:MENTIONS]->(n:Entity)
RETURN e {.id, .content, .role, .name, .metadata, occurred_at: toString(e.occurred_at)} AS episode, score,
       collect(n {.id, .name, .type}) AS entities
ORDER BY score DESC, episode.id

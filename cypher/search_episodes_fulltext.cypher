// Keyword entry points: the episodes whose text best matches the query's words in the episode
// full-text index (shared by every owner, so it over-fetches $candidates and keeps the
// caller's scope), with the entities each one mentions. $text holds plain words only: the
// caller strips the index's query syntax. Score: the engine's relevance (unbounded; the
// caller normalizes it to the best hit); cosine: raw on ArcadeDB, (1 + cos) / 2 on Neo4j.
// params: index, text, candidates, owner, agent_id, run_id, k, vector
CALL db.index.fulltext.queryNodes($index, $text, {limit: $candidates})
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
       vector.similarity.cosine(e.embedding, $vector) AS cosine,
       collect(n {.id, .name, .type}) AS entities
ORDER BY score DESC, episode.id

// Both episode entry points in one statement (one round trip; on the embedded engine ~3 ms
// cheaper than the two read at once, benchmarks/conversation_search.py):
// * by_vector: the vector index's nearest $candidates episodes of every owner, then only those
//   in the caller's scope (the index filters after its lookup), the $k best. The caller falls
//   back to the exact scan (search_episodes_scan) when fewer than $k come back. Score:
//   (1 + cos) / 2 on both engines (normalized by the dialect).
// * by_text: with $text (plain words only: the caller strips the index's query syntax; null
//   for none), the episodes whose text best matches it in the episode full-text index (shared
//   by every owner, so it over-fetches $candidates and keeps the caller's scope), the $k best.
//   Score: the engine's relevance (unbounded; the caller normalizes it to the best hit);
//   cosine: raw on ArcadeDB, (1 + cos) / 2 on Neo4j.
// Each with the entities the episode mentions. One row; an empty list when nothing matched.
// (The episode map is projected in a WITH: inside collect({episode: e {...}, ...}) ArcadeDB
// returns the projection alone.)
// params: vector_index, text_index, candidates, vector, text, owner, agent_id, run_id, k
CALL () {
  CALL db.index.vector.queryNodes($vector_index, $candidates, $vector)
  YIELD node, score
  WITH node AS e, score
  WHERE e.owner = $owner
    AND ($agent_id IS NULL OR e.agent_id = $agent_id)
    AND ($run_id IS NULL OR e.run_id = $run_id)
  WITH e, score
  ORDER BY score DESC, e.id
  LIMIT $k
  OPTIONAL MATCH (e)-[:MENTIONS]->(n:Entity)
  WITH e, score, collect(n {.id, .name, .type}) AS entities
  WITH e {.id, .content, .role, .name, .metadata, occurred_at: toString(e.occurred_at)} AS episode,
       score, entities
  RETURN collect({episode: episode, score: score, entities: entities}) AS by_vector
}
CALL () {
  WITH $text AS text
  WHERE text IS NOT NULL
  CALL db.index.fulltext.queryNodes($text_index, text, {limit: $candidates})
  YIELD node, score
  WITH node AS e, score
  WHERE e.owner = $owner
    AND ($agent_id IS NULL OR e.agent_id = $agent_id)
    AND ($run_id IS NULL OR e.run_id = $run_id)
  WITH e, score
  ORDER BY score DESC, e.id
  LIMIT $k
  OPTIONAL MATCH (e)-[:MENTIONS]->(n:Entity)
  WITH e, score, collect(n {.id, .name, .type}) AS entities
  WITH e {.id, .content, .role, .name, .metadata, occurred_at: toString(e.occurred_at)} AS episode,
       score, vector.similarity.cosine(e.embedding, $vector) AS cosine, entities
  RETURN collect({episode: episode, score: score, cosine: cosine, entities: entities}) AS by_text
}
RETURN by_vector, by_text

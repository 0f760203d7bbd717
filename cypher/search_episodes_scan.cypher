// Exact episode search: scores every episode of the scope (found through the owner index),
// keeps the best $k, with the entities each one mentions.
// Score: raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect).
// params: owner, agent_id, run_id, vector, k
MATCH (e:Episode {owner: $owner})
WHERE ($agent_id IS NULL OR e.agent_id = $agent_id)
  AND ($run_id IS NULL OR e.run_id = $run_id)
WITH e, vector.similarity.cosine(e.embedding, $vector) AS score
WHERE score IS NOT NULL
WITH e, score
ORDER BY score DESC, e.id
LIMIT $k
OPTIONAL MATCH (e)-[:MENTIONS]->(n:Entity)
RETURN e {.id, .content, .role, .name, .metadata, occurred_at: toString(e.occurred_at)} AS episode, score,
       collect(n {.id, .name, .type}) AS entities
ORDER BY score DESC, episode.id

// Benchmark bulk loader (search_latency.py): many episodes at once, each linked to
// the entities it mentions, with the same properties episode_create writes.
// params: rows, owner, user_id, now
UNWIND $rows AS row
CREATE (e:Episode {
  id: row.id, owner: $owner, user_id: $user_id, agent_id: null, run_id: null,
  role: 'user', name: null, content: row.content, content_hash: row.id,
  occurred_at: datetime($now), recorded_at: datetime($now), metadata: null,
  embedding: row.embedding
})
WITH e, row
UNWIND row.entity_ids AS entity_id
MATCH (n:Entity {id: entity_id})
CREATE (e)-[:MENTIONS]->(n)
RETURN count(DISTINCT e) AS created

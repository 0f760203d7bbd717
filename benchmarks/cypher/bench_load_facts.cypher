// Benchmark bulk loader (search_latency.py, lookup_bench.py): many current facts of one relation
// type at once, with the same properties fact_create writes (row.memory_id minted as
// graphmem.facts.new_memory_id does).
// params: rows, owner, user_id, now
UNWIND $rows AS row
MATCH (s:Entity {id: row.subject_id})
MATCH (o:Entity {id: row.object_id})
CREATE (s)-[r:__TYPE__ {
  id: row.id, memory_id: row.memory_id, version: 1, fact: row.fact, status: 'current',
  owner: $owner, user_id: $user_id, agent_id: null, run_id: null,
  valid_from: datetime($now), valid_to: null, recorded_at: datetime($now), expired_at: null,
  created_at: datetime($now), episode_ids: row.episode_ids, confidence: null, metadata: null,
  expiration_date: null, immutable: false, embedding: row.embedding
}]->(o)
RETURN count(r) AS created

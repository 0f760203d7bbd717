// Creates one version of one fact as a typed relationship (type checked before substitution)
// and returns it as the fact_* statements do.
// asserted_from: every time its value was said to begin (ISO text; see graphmem/timeline.py).
// params: subject_id, object_id, id, memory_id, version, fact, status, owner, user_id, agent_id, run_id, valid_from, valid_to, asserted_from, now, expired_at, created_at, episode_ids, confidence, metadata, expiration_date, immutable, embedding, categories
MATCH (s:Entity {id: $subject_id})
MATCH (o:Entity {id: $object_id})
CREATE (s)-[r:__TYPE__ {
  id: $id, memory_id: $memory_id, version: $version, fact: $fact, status: $status,
  owner: $owner, user_id: $user_id, agent_id: $agent_id, run_id: $run_id,
  valid_from: datetime($valid_from), valid_to: datetime($valid_to), asserted_from: $asserted_from,
  recorded_at: datetime($now), expired_at: datetime($expired_at),
  created_at: datetime($created_at),
  episode_ids: $episode_ids, confidence: $confidence, metadata: $metadata,
  expiration_date: datetime($expiration_date), immutable: $immutable, embedding: $embedding,
  categories: $categories
}]->(o)
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target

// Stores one raw input (a message or a turn) with its scope, time and metadata.
// params: id, owner, user_id, agent_id, run_id, role, name, content, content_hash, occurred_at, now, metadata, embedding
CREATE (e:Episode {
  id: $id, owner: $owner, user_id: $user_id, agent_id: $agent_id, run_id: $run_id,
  role: $role, name: $name, content: $content, content_hash: $content_hash,
  occurred_at: datetime($occurred_at), recorded_at: datetime($now),
  metadata: $metadata, embedding: $embedding
})
RETURN e.id AS id

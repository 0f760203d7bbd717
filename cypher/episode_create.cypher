// Stores one raw input (a message or a turn, or a piece of a document: then with its
// document's id) with its scope, time and metadata.
// params: id, owner, user_id, agent_id, run_id, role, name, content, content_hash, occurred_at, now, metadata, document_id, embedding
CREATE (e:Episode {
  id: $id, owner: $owner, user_id: $user_id, agent_id: $agent_id, run_id: $run_id,
  role: $role, name: $name, content: $content, content_hash: $content_hash,
  occurred_at: datetime($occurred_at), recorded_at: datetime($now),
  metadata: $metadata, document_id: $document_id, embedding: $embedding
})
RETURN e.id AS id

// Stores many raw inputs at once (add_many): one Episode per row of $episodes, each row with
// the parameters of episode_create (id, owner, user_id, agent_id, run_id, role, name,
// content, content_hash, occurred_at, now, metadata, document_id, embedding).
// params: episodes
UNWIND $episodes AS row
CREATE (e:Episode {
  id: row.id, owner: row.owner, user_id: row.user_id, agent_id: row.agent_id,
  run_id: row.run_id, role: row.role, name: row.name, content: row.content,
  content_hash: row.content_hash, occurred_at: datetime(row.occurred_at),
  recorded_at: datetime(row.now), metadata: row.metadata, document_id: row.document_id,
  embedding: row.embedding
})
RETURN count(e) AS created

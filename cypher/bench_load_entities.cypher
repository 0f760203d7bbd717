// Benchmark bulk loader (benchmarks/search_latency.py): many entities of one label at once,
// with the same properties entity_create writes.
// params: rows, owner, now
UNWIND $rows AS row
CREATE (n:Entity:__LABEL__ {
  id: row.id, owner: $owner, name: row.name, name_key: row.name_key, type: row.type,
  aliases: [], alias_text: '', embedding: row.embedding, mentions: 1,
  created_at: datetime($now), updated_at: datetime($now)
})
RETURN count(n) AS created

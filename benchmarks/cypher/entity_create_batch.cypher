// Creates many entities of one (checked) ontology type in one statement (bulk loads, benchmarks).
// Each row: {id, owner, name, name_key, embedding}; the caller ensures (owner, name_key) is new.
// params: rows, type, now
UNWIND $rows AS row
CREATE (n:Entity:__LABEL__ {
  id: row.id, owner: row.owner, name: row.name, name_key: row.name_key, type: $type,
  aliases: [], alias_text: '', embedding: row.embedding, mentions: 1,
  created_at: datetime($now), updated_at: datetime($now)
})
RETURN count(n) AS created

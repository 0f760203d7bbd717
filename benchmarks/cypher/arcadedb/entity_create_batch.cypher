// ArcadeDB variant of entity_create_batch: with each entity's EntityVector mirror, as
// cypher/arcadedb/entity_create.cypher writes it.
// params: rows, type, now
UNWIND $rows AS row
CREATE (n:Entity:__LABEL__ {
  id: row.id, owner: row.owner, name: row.name, name_key: row.name_key, type: $type,
  aliases: [], alias_text: '', embedding: row.embedding, mentions: 1,
  created_at: datetime($now), updated_at: datetime($now)
})
CREATE (:EntityVector {id: row.id, owner: row.owner, embedding: row.embedding})
RETURN count(n) AS created

// ArcadeDB variant of entity_create: the entity and its EntityVector mirror (id, owner,
// embedding), which the owner-scoped entity lookup searches. ArcadeDB keeps one vector graph per
// label of an indexed type (Entity:Person, Entity:Place, ...); the mirror type has one. Every
// ArcadeDB variant in this folder keeps the mirror in step with the entity statements.
// params: id, owner, name, name_key, first_key, type, embedding, now
CREATE (n:Entity:__LABEL__ {
  id: $id, owner: $owner, name: $name, name_key: $name_key, first_key: $first_key, type: $type,
  aliases: [], alias_text: '', embedding: $embedding, mentions: 1,
  created_at: datetime($now), updated_at: datetime($now)
})
CREATE (:EntityVector {id: $id, owner: $owner, embedding: $embedding})
RETURN n.id AS id

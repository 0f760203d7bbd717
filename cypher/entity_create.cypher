// Creates an entity node; its second label is the (checked) ontology type.
// params: id, owner, name, name_key, first_key, type, embedding, now
CREATE (n:Entity:__LABEL__ {
  id: $id, owner: $owner, name: $name, name_key: $name_key, first_key: $first_key, type: $type,
  aliases: [], alias_text: '', embedding: $embedding, mentions: 1,
  created_at: datetime($now), updated_at: datetime($now)
})
RETURN n.id AS id

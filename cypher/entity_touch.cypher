// Finds an entity by normalized name within an owner's namespace; counts a mention when
// $mention is 1 (a fact about it is being written), not when it is 0 (a denial looks it up).
// params: owner, name_key, mention, now
MATCH (n:Entity {owner: $owner, name_key: $name_key})
WITH n LIMIT 1
SET n.mentions = coalesce(n.mentions, 0) + $mention,
    n.updated_at = CASE WHEN $mention > 0 THEN datetime($now) ELSE n.updated_at END
RETURN n.id AS id

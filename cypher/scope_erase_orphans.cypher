// Erases one batch of an owner's entities that no fact or episode refers to any more.
// params: owner, batch
MATCH (n:Entity {owner: $owner})
WHERE NOT EXISTS { (n)--() }
WITH n LIMIT $batch
DELETE n
RETURN count(*) AS deleted

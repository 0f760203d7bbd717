// Export: one page of an owner's entities (every property and label), in id order.
// params: owner, after, limit
MATCH (n:Entity {owner: $owner})
WHERE n.id > $after
RETURN n.id AS id, labels(n) AS labels, properties(n) AS props
ORDER BY n.id
LIMIT $limit

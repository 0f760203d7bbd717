// Exact owner-scoped entity search: scores every entity of the owner (owner index), best first.
// Raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect).
// params: owner, vector, k
MATCH (n:Entity {owner: $owner})
WITH n, vector.similarity.cosine(n.embedding, $vector) AS score
WHERE score IS NOT NULL
RETURN n.id AS id, n.name AS name, n.type AS type, score
ORDER BY score DESC, id
LIMIT $k

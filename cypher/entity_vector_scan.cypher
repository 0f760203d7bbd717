// Exact owner-scoped entity search: scores every entity of the owner (found through the owner
// index) against the query vector, keeps the best $k, and only then projects them.
// Score: raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect).
// params: owner, vector, k
MATCH (n:Entity {owner: $owner})
WITH n, vector.similarity.cosine(n.embedding, $vector) AS score
WHERE score IS NOT NULL
WITH n, score
ORDER BY score DESC, n.id
LIMIT $k
RETURN n.id AS id, n.name AS name, n.type AS type, score

// Exact owner-scoped entity search: scores every entity of the owner (found through the owner
// index) against the query vector and keeps the best $k. No tie-break in the ORDER BY (sorting
// on n.id as well made ArcadeDB read every row's id: ~25% of the statement for 500 entities);
// the caller orders ties by id. An entity without an embedding scores -2 (below any cosine on
// both scales) and is dropped by the caller.
// Score: raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect).
// params: owner, vector, k
MATCH (n:Entity {owner: $owner})
WITH n, coalesce(vector.similarity.cosine(n.embedding, $vector), -2.0) AS score
ORDER BY score DESC
LIMIT $k
RETURN n.id AS id, n.name AS name, n.type AS type, score

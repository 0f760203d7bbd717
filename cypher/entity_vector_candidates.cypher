// Approximate owner-scoped entity search: the vector index's nearest $candidates entities of
// every owner, then only this owner's, rescored exactly (the index may rank on quantized
// vectors). The index filters nothing itself, so the caller sizes $candidates from the owner's
// share of all entities and falls back to a deeper fetch or the exact scan when fewer than $k
// come back.
// Score: raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect).
// params: index, candidates, vector, owner, k
CALL db.index.vector.queryNodes($index, $candidates, $vector)
YIELD node
WITH node AS n
WHERE n.owner = $owner
WITH n, vector.similarity.cosine(n.embedding, $vector) AS score
ORDER BY score DESC, n.id
LIMIT $k
RETURN n.id AS id, n.name AS name, n.type AS type, score

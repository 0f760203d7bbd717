// Approximate owner-scoped entity search: the vector index's nearest $candidates entities of
// every owner, then only this owner's, rescored exactly (the index may rank on quantized
// vectors). The index filters nothing itself, so the caller sizes $candidates from the owner's
// share of all entities and falls back to a deeper fetch or the exact scan when fewer than $k
// come back.
// The index holds Entity nodes on Neo4j and their EntityVector mirrors on ArcadeDB (see
// cypher/arcadedb/entity_vector_mirror.cypher): either way a hit carries id, owner and
// embedding, and the entity itself is matched by id for the best $k only.
// Score: raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect).
// params: index, candidates, vector, owner, k
CALL db.index.vector.queryNodes($index, $candidates, $vector)
YIELD node
WITH node AS hit
WHERE hit.owner = $owner
WITH hit, vector.similarity.cosine(hit.embedding, $vector) AS score
ORDER BY score DESC, hit.id
LIMIT $k
MATCH (n:Entity {id: hit.id})
WHERE n.owner = $owner
RETURN n.id AS id, n.name AS name, n.type AS type, score

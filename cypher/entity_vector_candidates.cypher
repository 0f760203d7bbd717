// Approximate owner-scoped entity search: the vector index's top `candidates` nodes of every
// owner, then only the owner's (the index filters after its lookup, so over-fetch).
// Score is (1 + cos) / 2 on both engines (normalized by the dialect).
// params: index, candidates, vector, owner, k
CALL db.index.vector.queryNodes($index, $candidates, $vector)
YIELD node, score
WITH node AS n, score
WHERE n.owner = $owner
RETURN n.id AS id, n.name AS name, n.type AS type, score
ORDER BY score DESC, id
LIMIT $k

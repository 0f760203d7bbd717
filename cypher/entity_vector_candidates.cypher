// Approximate owner-scoped entity search: the vector index's nearest $candidates entities of
// every owner, then only this owner's. The index filters nothing itself, so the caller sizes
// $candidates from the owner's share of all entities and falls back to the exact scan when
// fewer than $k come back.
// Score: (1 + cos) / 2 on both engines (normalized by the dialect).
// params: index, candidates, vector, owner, k
CALL db.index.vector.queryNodes($index, $candidates, $vector)
YIELD node, score
WITH node AS n, score
WHERE n.owner = $owner
RETURN n.id AS id, n.name AS name, n.type AS type, score
ORDER BY score DESC, id
LIMIT $k

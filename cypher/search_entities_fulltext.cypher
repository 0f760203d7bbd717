// Search entry points by full-text match on entity names and aliases, then only the owner's
// (the index itself is shared by every owner). $text holds plain words only: the caller strips
// the index's query syntax.
// params: index, text, owner, k
CALL db.index.fulltext.queryNodes($index, $text)
YIELD node, score
WITH node AS n, score
WHERE n.owner = $owner
RETURN n.id AS id, n.name AS name, n.type AS type, score
ORDER BY score DESC, id
LIMIT $k

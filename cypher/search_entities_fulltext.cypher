// Search entry points by full-text match on entity names and aliases, then only the owner's
// (the index itself is shared by every owner): the index's $candidates best hits are read (the
// caller sizes them from the owner's share of all entities; reading every hit of a common first
// name took 13 ms at 20k entities, 200 of them 6 ms). $text holds plain words only: the caller
// strips the index's query syntax.
// params: index, text, candidates, owner, k
CALL db.index.fulltext.queryNodes($index, $text, {limit: $candidates})
YIELD node, score
WITH node AS n, score
WHERE n.owner = $owner
RETURN n.id AS id, n.name AS name, n.type AS type, score
ORDER BY score DESC, id
LIMIT $k

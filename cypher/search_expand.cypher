// One hop of search traversal: the facts touching the entities $ids, in the caller's scope and
// time, of the relation types $types (null = any), the $limit most similar to the query.
// Time: with $history every version; with $as_of the versions true then (valid_from <= as_of <
// valid_to, not expired by then); otherwise current, unexpired versions.
// Similarity: raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect);
// null without a $vector.
// params: ids, owner, agent_id, run_id, types, history, as_of, now, vector, limit
MATCH (n:Entity)
WHERE n.id IN $ids AND n.owner = $owner
MATCH (n)-[r]-(m:Entity)
WHERE r.owner = $owner
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
  AND ($types IS NULL OR type(r) IN $types)
  AND (
    $history
    OR ($as_of IS NULL AND r.status = 'current'
        AND (r.expiration_date IS NULL OR r.expiration_date > datetime($now)))
    OR ($as_of IS NOT NULL
        AND (r.valid_from IS NULL OR r.valid_from <= datetime($as_of))
        AND (r.valid_to IS NULL OR datetime($as_of) < r.valid_to)
        AND (r.expiration_date IS NULL OR r.expiration_date > datetime($as_of)))
  )
WITH DISTINCT r
WITH r, startNode(r) AS s, endNode(r) AS o,
     CASE WHEN $vector IS NULL THEN null
          ELSE vector.similarity.cosine(r.embedding, $vector) END AS similarity
ORDER BY similarity DESC, r.id
LIMIT $limit
RETURN r {.*, embedding: null} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target, similarity

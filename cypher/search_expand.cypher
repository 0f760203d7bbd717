// One hop of search traversal: the facts touching the entities $ids, in the caller's scope and
// time, of the relation types $types (null = any), the $limit most similar to the query.
// Per entity at most $per_entity facts of the types the query asks about ($prefer) and
// $per_entity of any type are read: a hub (the user, a big employer) can have thousands, and
// a LIMIT inside CALL stops reading its relationships early (so the scope and time filters
// are applied inside, before it).
// Time: with $history every version; with $as_of the versions true then (valid_from <= as_of <
// valid_to, not expired by then); otherwise current, unexpired versions.
// Similarity: raw cosine on ArcadeDB, (1 + cos) / 2 on Neo4j (normalized by the dialect);
// null without a $vector. One row: the facts, most similar first, each as the list [id,
// memory_id, relationship, source id, name, type, target id, name, type, similarity,
// valid_from, recorded_at, episode_ids, feedback]: what ranking needs, not the full record
// (cypher/search_facts.cypher reads that for the results; projecting it here cost ~0.1 ms a
// fact). One row, because every row costs ~0.2 ms on the embedded engine.
// params: ids, owner, agent_id, run_id, types, prefer, per_entity, history, as_of, now, vector, limit
UNWIND $ids AS id
MATCH (n:Entity {id: id})
WHERE n.owner = $owner
CALL (n) {
  WITH n WHERE size($prefer) > 0
  MATCH (n)-[r]-(:Entity)
  WHERE type(r) IN $prefer AND r.owner = $owner
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
  WITH r LIMIT $per_entity
  RETURN collect(r) AS preferred
}
CALL (n) {
  MATCH (n)-[r]-(:Entity)
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
  WITH r LIMIT $per_entity
  RETURN collect(r) AS other
}
UNWIND preferred + other AS r
WITH DISTINCT r
WITH r, startNode(r) AS s, endNode(r) AS o,
     CASE WHEN $vector IS NULL THEN null
          ELSE vector.similarity.cosine(r.embedding, $vector) END AS similarity
ORDER BY similarity DESC, r.id
LIMIT $limit
RETURN collect([r.id, r.memory_id, type(r), s.id, s.name, s.type, o.id, o.name, o.type,
                 similarity, toString(r.valid_from), toString(r.recorded_at),
                 r.episode_ids, r.feedback]) AS facts

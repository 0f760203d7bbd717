// Facts of a scope as they were in the world at $as_of (valid time) and/or as the memory
// believed at $known_at (recorded time); null = no condition of that kind. A version closed
// after $known_at was still open-ended then. Newest first, one page.
// params: owner, agent_id, run_id, as_of, known_at, skip, limit
MATCH (s:Entity {owner: $owner})-[r]->(o:Entity)
WHERE r.owner = $owner AND r.status <> 'retracted'
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
  AND ($as_of IS NULL OR (
        (r.valid_from IS NULL OR r.valid_from <= datetime($as_of))
        AND (r.valid_to IS NULL OR r.valid_to > datetime($as_of)
             OR ($known_at IS NOT NULL AND r.expired_at > datetime($known_at)))))
  AND ($known_at IS NULL OR (
        r.recorded_at <= datetime($known_at)
        AND ($as_of IS NOT NULL OR r.expired_at IS NULL OR r.expired_at > datetime($known_at))))
  AND (r.expiration_date IS NULL OR r.expiration_date > datetime(coalesce($as_of, $known_at)))
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target
ORDER BY r.recorded_at DESC, r.id
SKIP $skip LIMIT $limit

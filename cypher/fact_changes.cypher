// Versions of a scope recorded or closed in [$since, $until) ($until null = open), oldest
// first, with the text of the version each one followed (for the list of changes).
// params: owner, agent_id, run_id, since, until, limit
MATCH (s:Entity {owner: $owner})-[r]->(o:Entity)
WHERE r.owner = $owner
  AND ($agent_id IS NULL OR r.agent_id = $agent_id)
  AND ($run_id IS NULL OR r.run_id = $run_id)
  AND ((r.recorded_at >= datetime($since)
        AND ($until IS NULL OR r.recorded_at < datetime($until)))
    OR (r.expired_at >= datetime($since)
        AND ($until IS NULL OR r.expired_at < datetime($until))))
OPTIONAL MATCH (s)-[p]-(:Entity)
WHERE p.memory_id = r.memory_id AND p.version = r.version - 1
WITH r, s, o, head(collect(p.fact)) AS previous
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target, previous
ORDER BY r.recorded_at, r.id
LIMIT $limit

// A derived relation of two steps (ontology `derived_relations`, e.g. WORKS_WITH from two
// WORKS_AT that meet at one organization): from the entities $ids over a $first edge to a
// middle entity, then a $second edge to another entity, both in the caller's scope and time
// (as in search_expand) and valid at overlapping times. $first_out / $second_out say which
// way each edge points (true: away from the side the path comes from).
// params: ids, first, first_out, second, second_out, owner, agent_id, run_id, history, as_of, now, limit
MATCH (x:Entity)
WHERE x.id IN $ids AND x.owner = $owner
MATCH (x)-[a]-(mid:Entity)-[b]-(y:Entity)
WHERE type(a) = $first AND type(b) = $second AND a <> b AND y <> x
  AND (startNode(a) = x) = $first_out AND (startNode(b) = mid) = $second_out
  AND a.owner = $owner AND b.owner = $owner
  AND ($agent_id IS NULL OR (a.agent_id = $agent_id AND b.agent_id = $agent_id))
  AND ($run_id IS NULL OR (a.run_id = $run_id AND b.run_id = $run_id))
  AND all(r IN [a, b] WHERE
    $history
    OR ($as_of IS NULL AND r.status = 'current'
        AND (r.expiration_date IS NULL OR r.expiration_date > datetime($now)))
    OR ($as_of IS NOT NULL
        AND (r.valid_from IS NULL OR r.valid_from <= datetime($as_of))
        AND (r.valid_to IS NULL OR datetime($as_of) < r.valid_to)
        AND (r.expiration_date IS NULL OR r.expiration_date > datetime($as_of))))
  AND (a.valid_from IS NULL OR b.valid_to IS NULL OR a.valid_from < b.valid_to)
  AND (b.valid_from IS NULL OR a.valid_to IS NULL OR b.valid_from < a.valid_to)
RETURN x {.id, .name, .type} AS source, y {.id, .name, .type} AS target,
       mid {.id, .name, .type} AS via,
       {{ fact_record(a) }} AS first_fact,
       {{ fact_record(b) }} AS second_fact
ORDER BY y.name, b.id
LIMIT $limit

// The full records of the facts a search returns, by version id: traversal reads only what
// ranking needs (cypher/search_expand.cypher), and a fact's full record costs ~0.1 ms on the
// embedded engine, so only the results' are read. Both ends are found through the id index
// first, then the relationship between them: matched as one path from the source, ArcadeDB
// walked all of a hub's relationships (up to 120 ms at 100k facts; now under 9 ms). The owner
// check keeps another scope's facts out. With $sources, each fact also brings the episodes
// that taught it (its provenance, in the owner's namespace): one round trip for the results
// and their sources.
// $facts: a list of {id, source_id, target_id}.
// params: facts, owner, sources
UNWIND $facts AS f
MATCH (s:Entity {id: f.source_id})
MATCH (o:Entity {id: f.target_id})
MATCH (s)-[r]->(o)
WHERE r.id = f.id AND r.owner = $owner
CALL (r) {
  UNWIND CASE WHEN $sources THEN coalesce(r.episode_ids, []) ELSE [] END AS episode_id
  MATCH (e:Episode {id: episode_id})
  WHERE e.owner = $owner
  RETURN collect(e {.id, .content, .role, .name, .metadata,
                    occurred_at: toString(e.occurred_at)}) AS sources
}
RETURN {{ fact_record(r) }} AS r, type(r) AS relationship,
       s {.id, .name, .type} AS source, o {.id, .name, .type} AS target, sources

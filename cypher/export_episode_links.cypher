// Export: the relationships (MENTIONS) from some episodes to entities, with their properties.
// params: episode_ids
MATCH (e:Episode)-[r]->(n:Entity)
WHERE e.id IN $episode_ids
RETURN e.id AS start, type(r) AS type, n.id AS end, properties(r) AS props
ORDER BY start, end

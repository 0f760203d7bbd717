// Records which entities an episode mentions (provenance in the graph).
// params: episode_id, entity_ids
MATCH (e:Episode {id: $episode_id})
UNWIND $entity_ids AS entity_id
MATCH (n:Entity {id: entity_id})
MERGE (e)-[:MENTIONS]->(n)
RETURN count(n) AS linked

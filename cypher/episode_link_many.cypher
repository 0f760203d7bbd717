// Records which entities many episodes mention (add_many): each row of $links is an
// episode_id with the entity_ids it mentions, linked as episode_link does.
// params: links
UNWIND $links AS link
MATCH (e:Episode {id: link.episode_id})
UNWIND link.entity_ids AS entity_id
MATCH (n:Entity {id: entity_id})
MERGE (e)-[:MENTIONS]->(n)
RETURN count(n) AS linked

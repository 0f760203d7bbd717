// Removes episodes from a version's sources (the episodes are being forgotten).
// params: subject_id, id, episode_ids
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id
SET r.episode_ids = [x IN r.episode_ids WHERE NOT x IN $episode_ids]
RETURN r.id AS id

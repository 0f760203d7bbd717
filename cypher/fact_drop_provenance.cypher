// Removes one episode from a version's sources (the episode is being forgotten).
// params: subject_id, id, episode_id
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id
SET r.episode_ids = [x IN r.episode_ids WHERE x <> $episode_id]
RETURN r.id AS id

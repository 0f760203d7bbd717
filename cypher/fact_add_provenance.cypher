// A repeated fact: keep one relationship, add the new source episodes to its provenance.
// params: subject_id, id, episode_ids
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id
SET r.episode_ids = coalesce(r.episode_ids, []) + [x IN $episode_ids WHERE NOT x IN coalesce(r.episode_ids, [])]
RETURN r.id AS id

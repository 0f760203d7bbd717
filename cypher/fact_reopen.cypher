// Restores a superseded version as the next, current version of its memory (a copy: the
// closed one stays in history).
// params: subject_id, id, new_id, version, now
MATCH (s:Entity {id: $subject_id})-[old]->(o:Entity)
WHERE old.id = $id
CREATE (s)-[r:__TYPE__]->(o)
SET r = properties(old)
SET r.id = $new_id, r.version = $version, r.status = 'current', r.valid_to = null,
    r.expired_at = null, r.recorded_at = datetime($now)
RETURN r.id AS id

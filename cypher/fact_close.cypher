// Closes the current version of a fact (superseded or deleted); the relationship is kept.
// params: subject_id, id, status, valid_to, now
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id AND r.status = 'current'
SET r.status = $status, r.expired_at = datetime($now),
    r.valid_to = coalesce(r.valid_to, datetime($valid_to))
RETURN r.id AS id

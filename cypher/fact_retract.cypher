// Retracts a version whose only source is being forgotten: kept in history with status
// 'retracted', never true in any read (not even as_of).
// params: subject_id, id, now
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id
SET r.status = 'retracted', r.expired_at = coalesce(r.expired_at, datetime($now))
RETURN r.id AS id

// Re-places one version in its memory's timeline (a late fact landed next to it): its number,
// valid time, the times its value was said to begin, and its status.
// params: subject_id, id, version, valid_from, valid_to, asserted_from, status, expired_at
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id
SET r.version = $version, r.valid_from = datetime($valid_from), r.valid_to = datetime($valid_to),
    r.asserted_from = $asserted_from, r.status = $status, r.expired_at = datetime($expired_at)
RETURN r.id AS id

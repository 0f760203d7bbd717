// Closes the current version of a fact (superseded, deleted or expired); the relationship is
// kept. Its validity ends at $valid_to, never before it began. The version is found by a seek
// of its (checked) type's memory_id index, as in fact_versions_of_type (ends unlabelled for
// ArcadeDB), not from its subject, which can have thousands of facts.
// params: memory_id, id, status, valid_to, now
MATCH ()-[r:__TYPE__]->()
WHERE r.memory_id = $memory_id AND r.id = $id AND r.status = 'current'
WITH r, coalesce(r.valid_to, datetime($valid_to)) AS end
SET r.status = $status, r.expired_at = datetime($now),
    r.valid_to = CASE WHEN r.valid_from IS NOT NULL AND end < r.valid_from THEN r.valid_from ELSE end END
RETURN r.id AS id

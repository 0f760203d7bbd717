// Splits a version (a late fact landed inside it): a copy with the same fact, provenance and
// embedding takes over the part of its valid time before the late fact, as a closed version.
// params: subject_id, id, new_id, version, valid_from, valid_to, asserted_from, now
MATCH (s:Entity {id: $subject_id})-[r]->(o:Entity)
WHERE r.id = $id
CREATE (s)-[c:__TYPE__]->(o)
SET c = properties(r)
SET c.id = $new_id, c.version = $version, c.valid_from = datetime($valid_from),
    c.valid_to = datetime($valid_to), c.asserted_from = $asserted_from,
    c.status = 'superseded', c.expired_at = datetime($now)
RETURN c.id AS id

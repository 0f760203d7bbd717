// Renumbers a version and sets its end of validity (a late fact was placed before it).
// params: subject_id, id, version, valid_to
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id
SET r.version = $version, r.valid_to = datetime($valid_to)
RETURN r.id AS id

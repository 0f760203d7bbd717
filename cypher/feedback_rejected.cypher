// The (relation, object) pairs an owner marked wrong at least $times times since they were
// last said to be right: extraction leaves them out for this owner.
// params: owner, times
MATCH (f:Feedback {owner: $owner})
WHERE f.wrong AND f.cleared_at IS NULL
WITH f.relationship AS relationship, f.object_key AS object_key, count(*) AS marks,
     min(f.object) AS object
WHERE marks >= $times
RETURN relationship, object_key, object
ORDER BY relationship, object_key

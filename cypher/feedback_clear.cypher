// An owner says a (relation, object) is right after all (positive feedback, or the fact
// stated explicitly with add_relation): its wrong marks stop counting (kept, with cleared_at).
// params: owner, relationship, object_key, now
MATCH (f:Feedback {owner: $owner})
WHERE f.relationship = $relationship AND f.object_key = $object_key
  AND f.wrong AND f.cleared_at IS NULL
SET f.cleared_at = datetime($now)
RETURN count(*) AS cleared

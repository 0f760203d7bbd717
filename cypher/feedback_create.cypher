// Records one feedback on a memory's version (who, when, why, and the (relation, object) it
// judged), in the memory's scope, and marks the version with it: `r.feedback` is the latest
// feedback on that version, which search ranking reads.
// params: subject_id, version_id, id, memory_id, version, feedback, wrong, reason, by, now, relationship, object, object_key, owner, user_id, agent_id, run_id
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $version_id
SET r.feedback = $feedback
CREATE (f:Feedback {
  id: $id, memory_id: $memory_id, version_id: $version_id, version: $version,
  feedback: $feedback, wrong: $wrong, reason: $reason, by: $by, at: datetime($now),
  relationship: $relationship, object: $object, object_key: $object_key,
  owner: $owner, user_id: $user_id, agent_id: $agent_id, run_id: $run_id
})
RETURN f.id AS id

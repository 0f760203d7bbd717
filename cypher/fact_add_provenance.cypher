// A repeated fact: keep one relationship, add the new source episodes to its provenance and,
// when the repeat says when its value began ($start, ISO text or null), that time too.
// params: subject_id, id, episode_ids, start
MATCH (s:Entity {id: $subject_id})-[r]->()
WHERE r.id = $id
SET r.episode_ids = coalesce(r.episode_ids, []) + [x IN $episode_ids WHERE NOT x IN coalesce(r.episode_ids, [])],
    r.asserted_from = CASE
      WHEN $start IS NULL OR $start IN coalesce(r.asserted_from, []) THEN r.asserted_from
      ELSE coalesce(r.asserted_from, []) + [$start] END
RETURN r.id AS id

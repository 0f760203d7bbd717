// Ingest resume: the stored episodes of an owner whose content hash is among the given ones.
// params: owner, hashes
MATCH (e:Episode {owner: $owner})
WHERE e.content_hash IN $hashes
RETURN e.content_hash AS content_hash, e.agent_id AS agent_id, e.run_id AS run_id,
       e.occurred_at AS occurred_at

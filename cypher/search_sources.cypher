// The episodes that taught a set of facts (their provenance ids), within the owner's
// namespace, to cite as search results' sources.
// params: ids, owner
UNWIND $ids AS id
MATCH (e:Episode {id: id})
WHERE e.owner = $owner
RETURN e {.id, .content, .role, .name, .metadata, occurred_at: toString(e.occurred_at)} AS episode

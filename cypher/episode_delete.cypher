// Deletes episodes of an owner (and their MENTIONS links); entities and facts stay.
// params: ids, owner
UNWIND $ids AS id
MATCH (e:Episode {id: id, owner: $owner})
DETACH DELETE e
RETURN count(*) AS deleted

// Deletes one episode of an owner (and its MENTIONS links); entities and facts stay.
// params: id, owner
MATCH (e:Episode {id: $id, owner: $owner})
DETACH DELETE e
RETURN count(*) AS deleted

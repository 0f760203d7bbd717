// Finds an episode by id within an owner's namespace (to cite it as a fact's source).
// params: id, owner
MATCH (e:Episode {id: $id, owner: $owner})
RETURN e.id AS id

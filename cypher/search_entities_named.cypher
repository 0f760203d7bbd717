// Search entry points by name: the owner's entities whose normalized name is one of $keys
// (the query's word n-grams), each found through the (owner, name_key) index.
// params: owner, keys
UNWIND $keys AS key
MATCH (n:Entity {owner: $owner, name_key: key})
RETURN n.id AS id, n.name AS name, n.type AS type, key

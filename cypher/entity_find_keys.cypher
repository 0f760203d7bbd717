// Which of these normalized names an owner's entities already have (exact resolution).
// params: owner, name_keys
UNWIND $name_keys AS key
MATCH (n:Entity {owner: $owner, name_key: key})
RETURN n.name_key AS name_key, n.id AS id

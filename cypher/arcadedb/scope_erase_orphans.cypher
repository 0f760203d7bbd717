// ArcadeDB variant of scope_erase_orphans: each entity's EntityVector mirror goes with it (see
// entity_create).
// params: owner, batch
MATCH (n:Entity {owner: $owner})
WHERE NOT EXISTS { (n)--() }
WITH n LIMIT $batch
CALL (n) {
  MATCH (v:EntityVector {id: n.id})
  DELETE v
}
DELETE n
RETURN count(*) AS deleted

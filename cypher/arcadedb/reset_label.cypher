// ArcadeDB variant of reset_label: an entity's EntityVector mirror goes with it (see
// entity_create; episodes have none).
// params: batch
MATCH (n:__LABEL__)
WHERE n.owner IS NOT NULL AND n.id IS NOT NULL
WITH n LIMIT $batch
CALL (n) {
  MATCH (v:EntityVector {id: n.id})
  DELETE v
}
DETACH DELETE n
RETURN count(*) AS deleted

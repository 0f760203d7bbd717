// How many entities and EntityVector mirrors the store holds (equal unless the store predates
// the mirror). ArcadeDB only (see entity_vector_mirror).
// params: none
CALL () {
  MATCH (n:Entity)
  RETURN count(n) AS entities
}
CALL () {
  MATCH (v:EntityVector)
  RETURN count(v) AS mirrored
}
RETURN entities, mirrored

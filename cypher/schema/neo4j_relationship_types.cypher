// Neo4j only: every relationship type the database holds (custom types written before included),
// each given its memory_id index when a store opens.
// params: none
CALL db.relationshipTypes() YIELD relationshipType
RETURN relationshipType AS type

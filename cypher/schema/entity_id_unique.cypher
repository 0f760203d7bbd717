// Every entity has a unique id.
// params: none
CREATE CONSTRAINT graphmem_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE

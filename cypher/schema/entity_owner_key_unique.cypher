// One entity per normalized name within an owner's namespace (two users' "Alice" stay apart).
// params: none
CREATE CONSTRAINT graphmem_entity_owner_key IF NOT EXISTS
FOR (n:Entity) REQUIRE (n.owner, n.name_key) IS UNIQUE

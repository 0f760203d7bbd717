// Entity resolution: an owner's entities by canonical first word ("bob" and "robert" alike).
// params: none
CREATE INDEX graphmem_entity_owner_first IF NOT EXISTS FOR (n:Entity) ON (n.owner, n.first_key)

// Entity resolution by a merged name: only entities with alias keys have alias_owner.
// params: none
CREATE INDEX graphmem_entity_alias_owner IF NOT EXISTS FOR (n:Entity) ON (n.alias_owner)

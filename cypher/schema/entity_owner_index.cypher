// Owner lookups (scoped scans, counts, erase).
// params: none
CREATE INDEX graphmem_entity_owner IF NOT EXISTS FOR (n:Entity) ON (n.owner)

// Neo4j only: the versions of a memory by memory_id, one range index per (checked) relationship
// type (get, history, update, delete; see fact_versions_of_type). Created for the ontology's
// types when a store opens, for the store's other types, and for a new type after the first
// write that uses it. ArcadeDB creates its own through SQL (graphmem.store.dialect).
// params: none
CREATE INDEX graphmem_memory___TYPE__ IF NOT EXISTS FOR ()-[r:__TYPE__]-() ON (r.memory_id)

// Neo4j only: full-text index over entity names and aliases.
// params: none
CREATE FULLTEXT INDEX graphmem_entity_names IF NOT EXISTS
FOR (n:Entity) ON EACH [n.name, n.alias_text]

// Neo4j only: the relationship types that already have their memory_id index
// (neo4j_fact_memory_index), so that a store opens without re-issuing every CREATE INDEX.
// params: none
SHOW RANGE INDEXES YIELD entityType, labelsOrTypes, properties
WHERE entityType = 'RELATIONSHIP' AND properties = ['memory_id']
RETURN labelsOrTypes[0] AS type

// Neo4j only: vector index over entity name embeddings (ArcadeDB creates its own through SQL).
// params: dimensions
CREATE VECTOR INDEX graphmem_entity_embedding IF NOT EXISTS
FOR (n:Entity) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimensions), `vector.similarity_function`: 'cosine'}}

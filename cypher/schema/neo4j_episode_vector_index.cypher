// Neo4j only: vector index over episode (message) embeddings.
// params: dimensions
CREATE VECTOR INDEX graphmem_episode_embedding IF NOT EXISTS
FOR (e:Episode) ON (e.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimensions), `vector.similarity_function`: 'cosine'}}

// Records the embedding size the store's vector indexes were made for (first start wins) and
// returns it, so a Memory with another embedder gets a clear error instead of broken indexes.
// params: dimensions, embedder
MERGE (m:GraphmemMeta {key: 'schema'})
ON CREATE SET m.dimensions = $dimensions, m.embedder = $embedder
RETURN m.dimensions AS dimensions, m.embedder AS embedder

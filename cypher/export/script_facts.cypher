// Cypher script export: one batch of fact versions of one (checked) type, by version id.
// A script carries no parameters: the export writes the batch as a literal list of
// {start, end, props} maps in place of the rows parameter (times as datetime()/date() calls).
// A replaced version keeps its memory_types (graphmem's own, never exported; as import_facts).
// params: rows
UNWIND $rows AS row
MATCH (s:Entity {id: row.start})
MATCH (o:Entity {id: row.end})
MERGE (s)-[r:__TYPE__ {id: row.props.id}]->(o)
WITH r, row, r.memory_types AS kept
SET r = row.props
SET r.memory_types = kept

// Cypher script export: one batch of links from episodes to the entities they mention (one
// checked type, usually MENTIONS).
// A script carries no parameters: the export writes the batch as a literal list of
// {start, end, props} maps in place of the rows parameter (times as datetime()/date() calls).
// params: rows
UNWIND $rows AS row
MATCH (e:Episode {id: row.start})
MATCH (n:Entity {id: row.end})
MERGE (e)-[r:__TYPE__]->(n)
SET r = row.props

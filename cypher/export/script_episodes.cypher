// Cypher script export: one batch of episodes, created or replaced by id.
// A script carries no parameters: the export writes the batch as a literal list of
// {id, props} maps in place of the rows parameter (time values as datetime()/date() calls).
// params: rows
UNWIND $rows AS row
MERGE (e:Episode {id: row.id})
SET e = row.props

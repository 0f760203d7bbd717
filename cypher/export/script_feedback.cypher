// Cypher script export: one batch of feedback records, created or replaced by id.
// A script carries no parameters: the export writes the batch as a literal list of
// {id, props} maps in place of the rows parameter (time values as datetime()/date() calls).
// params: rows
UNWIND $rows AS row
MERGE (f:Feedback {id: row.id})
SET f = row.props

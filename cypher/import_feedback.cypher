// Import: creates or replaces feedback records by id with exactly the given properties.
// Time values arrive as ISO text in row.times and are stored through datetime()/date().
// params: rows
UNWIND $rows AS row
MERGE (f:Feedback {id: row.id})
SET f = row.props
WITH f, row
UNWIND row.times AS t
SET f[t.key] = CASE t.kind WHEN 'date' THEN date(t.value) ELSE datetime(t.value) END
RETURN count(*) AS count

// Import: creates or replaces entities by id with exactly the given properties. The second
// label is the (checked, ontology-valid) type; it is part of the MERGE pattern because adding
// a label to an existing node is not portable (ArcadeDB re-creates the record).
// Time values arrive as ISO text in row.times and are stored through datetime()/date().
// params: rows
UNWIND $rows AS row
MERGE (n:Entity:__LABEL__ {id: row.id})
SET n = row.props
WITH n, row
UNWIND row.times AS t
SET n[t.key] = CASE t.kind WHEN 'date' THEN date(t.value) ELSE datetime(t.value) END
RETURN count(*) AS count

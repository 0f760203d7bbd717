// Import: creates or replaces fact versions of one (checked) type by version id.
// Time values arrive as ISO text in row.times and are stored through datetime()/date().
// params: rows
UNWIND $rows AS row
MATCH (s:Entity {id: row.start})
MATCH (o:Entity {id: row.end})
MERGE (s)-[r:__TYPE__ {id: row.id}]->(o)
SET r = row.props
WITH r, row
UNWIND row.times AS t
SET r[t.key] = CASE t.kind WHEN 'date' THEN date(t.value) ELSE datetime(t.value) END
RETURN count(*) AS count

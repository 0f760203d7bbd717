// Import: links episodes to the entities they mention (one checked type, usually MENTIONS).
// Time values arrive as ISO text in row.times and are stored through datetime()/date().
// params: rows
UNWIND $rows AS row
MATCH (e:Episode {id: row.start})
MATCH (n:Entity {id: row.end})
MERGE (e)-[r:__TYPE__]->(n)
SET r = row.props
WITH r, row
UNWIND row.times AS t
SET r[t.key] = CASE t.kind WHEN 'date' THEN date(t.value) ELSE datetime(t.value) END
RETURN count(*) AS count

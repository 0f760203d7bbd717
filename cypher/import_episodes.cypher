// Import: creates or replaces episodes by id with exactly the given properties.
// Time values arrive as ISO text in row.times and are stored through datetime()/date().
// params: rows
UNWIND $rows AS row
MERGE (e:Episode {id: row.id})
SET e = row.props
WITH e, row
UNWIND row.times AS t
SET e[t.key] = CASE t.kind WHEN 'date' THEN date(t.value) ELSE datetime(t.value) END
RETURN count(*) AS count

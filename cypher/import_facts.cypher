// Import: creates or replaces fact versions of one (checked) type by version id.
// Time values arrive as ISO text in row.times and are stored through datetime()/date().
// A replaced version keeps the memory_types graphmem keeps on it (never exported; see
// graphmem/facts.py): the import adds to them afterwards, it takes nothing away.
// params: rows
UNWIND $rows AS row
MATCH (s:Entity {id: row.start})
MATCH (o:Entity {id: row.end})
MERGE (s)-[r:__TYPE__ {id: row.id}]->(o)
WITH r, row, r.memory_types AS kept
SET r = row.props
SET r.memory_types = kept
WITH r, row
UNWIND row.times AS t
SET r[t.key] = CASE t.kind WHEN 'date' THEN date(t.value) ELSE datetime(t.value) END
RETURN count(*) AS count

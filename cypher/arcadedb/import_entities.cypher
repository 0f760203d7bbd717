// ArcadeDB variant of import_entities: also creates or updates each entity's EntityVector
// mirror (see entity_create).
// params: rows
UNWIND $rows AS row
MERGE (n:Entity:__LABEL__ {id: row.id})
SET n = row.props
WITH n, row
MERGE (v:EntityVector {id: n.id})
SET v.owner = n.owner, v.embedding = n.embedding
WITH n, row
UNWIND row.times AS t
SET n[t.key] = CASE t.kind WHEN 'date' THEN date(t.value) ELSE datetime(t.value) END
RETURN count(*) AS count

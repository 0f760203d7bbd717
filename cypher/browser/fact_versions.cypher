// Neo4j Browser: the version chain of one fact (one memory_id), oldest version first. The graph
// view draws every version (the subject or object may differ between versions); the table view
// shows when each version was true (valid_from/valid_to) and when graphmem learned and retired it
// (recorded_at/expired_at).
// Set the parameter first:  :param memory_id => '<a memory id from graphmem>'
// params: memory_id
MATCH p = (s:Entity)-[r]->(o:Entity)
WHERE r.memory_id = $memory_id
RETURN p,
       r.version AS version,
       r.status AS status,
       type(r) AS type,
       s.name AS subject,
       o.name AS object,
       r.fact AS fact,
       r.valid_from AS valid_from,
       r.valid_to AS valid_to,
       r.recorded_at AS recorded_at,
       r.expired_at AS expired_at
ORDER BY version

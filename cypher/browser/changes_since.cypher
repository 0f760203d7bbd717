// Neo4j Browser: what changed in a user's memory since a moment: every fact version recorded or
// expired at or after $since (an ISO 8601 datetime), newest change first. The graph view draws
// them; the table view says what happened (status 'current' = learned, 'superseded' = replaced
// by a newer version, 'deleted' = forgotten).
// Set the parameters first:  :param user_id => 'alice'  and  :param since => '2025-01-01T00:00:00Z'
// params: user_id, since
WITH datetime($since) AS since
MATCH p = (s:Entity {owner: 'user:' + $user_id})-[r]->(o:Entity)
WHERE r.recorded_at >= since OR r.expired_at >= since
RETURN p,
       CASE WHEN r.expired_at >= since THEN r.expired_at ELSE r.recorded_at END AS changed_at,
       r.status AS status,
       r.version AS version,
       type(r) AS type,
       r.fact AS fact,
       r.memory_id AS memory_id,
       r.recorded_at AS recorded_at,
       r.expired_at AS expired_at
ORDER BY changed_at DESC

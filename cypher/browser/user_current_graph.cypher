// Neo4j Browser: what graphmem currently believes about one user. Draws the user's entities and
// the current version of every fact between them (superseded and deleted versions are left out;
// entities with no current fact show up alone). At most 300 rows.
// The user's entities live in the owner namespace 'user:' + user_id (see graphmem/scope.py).
// Set the parameter first:  :param user_id => 'alice'
// params: user_id
MATCH (s:Entity {owner: 'user:' + $user_id})
OPTIONAL MATCH p = (s)-[r]->(:Entity {owner: 'user:' + $user_id})
  WHERE r.status = 'current'
RETURN s, p
LIMIT 300

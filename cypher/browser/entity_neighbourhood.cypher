// Neo4j Browser: one entity of a user and everything within two hops of it over current facts
// (superseded and deleted versions are left out). Finds the entity by its name as written or by
// its normalized name (name_key). At most 300 rows.
// Set the parameters first:  :param user_id => 'alice'  and  :param name => 'Alice'
// params: user_id, name
MATCH (e:Entity {owner: 'user:' + $user_id})
WHERE e.name = $name OR e.name_key = toLower(trim($name))
OPTIONAL MATCH p = (e)-[rs*1..2]-(:Entity)
  WHERE all(r IN rs WHERE r.status = 'current')
RETURN e, p
LIMIT 300

// reset(): erases one batch of graphmem's nodes of one label (Entity, Episode or Feedback). Nodes that
// are not graphmem's (no owner and id) are left alone.
// params: batch
MATCH (n:__LABEL__)
WHERE n.owner IS NOT NULL AND n.id IS NOT NULL
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted

// A webhook receiver's consecutive failures, when to try it again, and its last error.
// params: id, failures, retry_at, error
MATCH (w:Webhook {id: $id})
SET w.failures = $failures, w.retry_at = $retry_at, w.last_error = $error
RETURN w.id AS id

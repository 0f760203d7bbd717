// A failed attempt at a delivery: its count and error; status 'failed' when given up on.
// params: id, attempts, status, error
MATCH (d:WebhookDelivery {id: $id})
SET d.attempts = $attempts, d.status = $status, d.last_error = $error
RETURN d.id AS id

// Sets a webhook's address, event types, name and state; its secret only when one is given.
// params: id, url, event_types, name, active, secret, now
MATCH (w:Webhook {id: $id})
SET w.url = $url, w.event_types = $event_types, w.name = $name, w.active = $active,
  w.secret = coalesce($secret, w.secret), w.updated_at = $now
WITH w
OPTIONAL MATCH (d:WebhookDelivery {webhook_id: w.id})
WITH w, count(CASE WHEN d.status = 'pending' THEN 1 END) AS pending,
  count(CASE WHEN d.status = 'failed' THEN 1 END) AS failed
RETURN w {.id, .name, .url, .event_types, .active, .failures, .last_error, .created_at,
  .updated_at, .user_id, .agent_id, .run_id} AS w, pending, failed

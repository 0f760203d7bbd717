// One webhook by id, with its deliveries pending and failed (get_webhook; not its secret).
// params: id
MATCH (w:Webhook {id: $id})
OPTIONAL MATCH (d:WebhookDelivery {webhook_id: w.id})
WITH w, count(CASE WHEN d.status = 'pending' THEN 1 END) AS pending,
  count(CASE WHEN d.status = 'failed' THEN 1 END) AS failed
RETURN w {.id, .name, .url, .event_types, .active, .failures, .last_error, .created_at,
  .updated_at, .user_id, .agent_id, .run_id} AS w, pending, failed

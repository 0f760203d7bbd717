// A scope's webhooks, oldest first, with their deliveries pending and failed (get_webhooks).
// params: owner, agent_id, run_id
MATCH (w:Webhook {owner: $owner})
WHERE ($agent_id IS NULL OR w.agent_id = $agent_id)
  AND ($run_id IS NULL OR w.run_id = $run_id)
OPTIONAL MATCH (d:WebhookDelivery {webhook_id: w.id})
WITH w, count(CASE WHEN d.status = 'pending' THEN 1 END) AS pending,
  count(CASE WHEN d.status = 'failed' THEN 1 END) AS failed
RETURN w {.id, .name, .url, .event_types, .active, .failures, .last_error, .created_at,
  .updated_at, .user_id, .agent_id, .run_id} AS w, pending, failed
ORDER BY w.created_at, w.id

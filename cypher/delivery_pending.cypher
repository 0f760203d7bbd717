// A webhook's pending deliveries in the order their events were made.
// params: webhook_id, limit
MATCH (d:WebhookDelivery {webhook_id: $webhook_id})
WHERE d.status = 'pending'
RETURN d.id AS id, d.event AS event, d.memory_id AS memory_id, d.body AS body,
  d.attempts AS attempts, d.at AS at
ORDER BY d.at, d.n
LIMIT $limit

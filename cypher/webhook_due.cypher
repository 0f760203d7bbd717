// The active webhooks with deliveries pending whose receiver is due (not backing off).
// params: now
MATCH (d:WebhookDelivery {status: 'pending'})
WITH DISTINCT d.webhook_id AS webhook_id
MATCH (w:Webhook {id: webhook_id})
WHERE w.active AND w.retry_at <= $now
RETURN w.id AS id, w.url AS url, w.secret AS secret, w.failures AS failures
ORDER BY w.created_at, w.id

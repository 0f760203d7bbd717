// Deletes a webhook and every delivery queued for it; how many deliveries went with it.
// params: id
MATCH (w:Webhook {id: $id})
OPTIONAL MATCH (d:WebhookDelivery {webhook_id: w.id})
WITH w, collect(d) AS deliveries
FOREACH (d IN deliveries | DELETE d)
DELETE w
RETURN size(deliveries) AS deliveries

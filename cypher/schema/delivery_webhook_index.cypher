// A webhook's deliveries (the deliverer's queue, counts, delete_webhook).
// params: none
CREATE INDEX graphmem_delivery_webhook IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.webhook_id)

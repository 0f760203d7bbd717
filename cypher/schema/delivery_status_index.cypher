// The pending deliveries (the deliverer's look at the outbox).
// params: none
CREATE INDEX graphmem_delivery_status IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.status)

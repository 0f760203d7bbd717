// Every webhook delivery has a unique id (its event's and its webhook's).
// params: none
CREATE CONSTRAINT graphmem_delivery_id IF NOT EXISTS FOR (d:WebhookDelivery) REQUIRE d.id IS UNIQUE

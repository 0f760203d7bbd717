// Every webhook has a unique id.
// params: none
CREATE CONSTRAINT graphmem_webhook_id IF NOT EXISTS FOR (w:Webhook) REQUIRE w.id IS UNIQUE

// A scope's webhooks, and the ones an event's owner matches (the outbox).
// params: none
CREATE INDEX graphmem_webhook_owner IF NOT EXISTS FOR (w:Webhook) ON (w.owner)

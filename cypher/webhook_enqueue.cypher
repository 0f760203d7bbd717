// The outbox: queues one delivery per event and matching webhook, in the transaction that made
// the events. A webhook matches the events of its owner whose type it takes, within its agent
// and run when it names them; a paused one queues nothing.
// params: events
UNWIND $events AS e
MATCH (w:Webhook {owner: e.owner})
WHERE w.active AND e.event IN w.event_types
  AND (w.agent_id IS NULL OR w.agent_id = e.agent_id)
  AND (w.run_id IS NULL OR w.run_id = e.run_id)
CREATE (d:WebhookDelivery {
  id: e.id + ':' + w.id, webhook_id: w.id, event: e.event, memory_id: e.memory_id,
  body: e.body, at: e.at, n: e.n, attempts: 0, status: 'pending', last_error: null,
  queued_at: e.now, owner: e.owner
})
RETURN count(d) AS queued

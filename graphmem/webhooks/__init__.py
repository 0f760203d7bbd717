"""Webhooks: POST each memory event to the receivers an owner registered.

* `registry`: register, list, update and delete webhooks (one owner scope, the event types it
  takes, a URL and a per-webhook signing secret) — `Memory.create_webhook` and friends, and the
  REST routes under ``/webhooks``.
* `outbox`: the write that changes a memory queues one `WebhookDelivery` per matching webhook
  *in its own transaction* (a durable outbox: what was acknowledged is delivered, a restart loses
  nothing, and the write never waits for a receiver).
* `signing`: the HMAC-SHA256 signature of each body (receivers check it with `verify`).
* `delivery`: `graphmem serve` drains the outbox in the background: in order per webhook (so
  per memory), at least once, retrying a failing receiver with exponential backoff.
"""

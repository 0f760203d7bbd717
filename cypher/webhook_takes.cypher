// How many active webhooks of an owner take one event type (whatever agent or run they name).
// params: owner, event
MATCH (w:Webhook {owner: $owner})
WHERE w.active AND $event IN w.event_types
RETURN count(w) AS count

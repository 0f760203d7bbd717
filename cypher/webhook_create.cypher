// Registers one webhook in an owner's scope (create_webhook): active, with a healthy receiver.
// params: id, name, url, event_types, secret, now, owner, user_id, agent_id, run_id
CREATE (w:Webhook {
  id: $id, name: $name, url: $url, event_types: $event_types, secret: $secret, active: true,
  failures: 0, retry_at: 0.0, last_error: null, created_at: $now, updated_at: $now,
  owner: $owner, user_id: $user_id, agent_id: $agent_id, run_id: $run_id
})
RETURN w {.id, .name, .url, .event_types, .active, .failures, .last_error, .created_at,
  .updated_at, .user_id, .agent_id, .run_id} AS w, 0 AS pending, 0 AS failed

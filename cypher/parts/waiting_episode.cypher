// An episode waiting for extraction as reprocess reads it: what its add call needs to be
// extracted again (the call's id and the episode's place in it). Included as
// {{ waiting_episode(e) }} by episode_waiting and episode_waiting_all.
__VAR__ {.id, .owner, .user_id, .agent_id, .run_id, .role, .name, .content, .metadata,
  occurred_at: toString(__VAR__.occurred_at), call: __VAR__.extraction_call,
  part: __VAR__.extraction_part}

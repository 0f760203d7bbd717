// Every feedback on one memory, oldest first (its history).
// params: memory_id
MATCH (f:Feedback {memory_id: $memory_id})
RETURN f {.*, at: toString(f.at), cleared_at: toString(f.cleared_at)} AS f
ORDER BY f.at, f.id

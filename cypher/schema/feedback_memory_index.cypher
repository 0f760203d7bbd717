// A memory's feedback (its history) by memory id.
// params: none
CREATE INDEX graphmem_feedback_memory IF NOT EXISTS FOR (f:Feedback) ON (f.memory_id)

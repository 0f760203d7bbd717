// Owner lookups of feedback (what an owner marked wrong, changes, erase, export).
// params: none
CREATE INDEX graphmem_feedback_owner IF NOT EXISTS FOR (f:Feedback) ON (f.owner)

// Every feedback record has a unique id.
// params: none
CREATE CONSTRAINT graphmem_feedback_id IF NOT EXISTS FOR (f:Feedback) REQUIRE f.id IS UNIQUE

// Neo4j only: full-text index over episode (message) text, for keyword entry points of search.
// params: none
CREATE FULLTEXT INDEX graphmem_episode_content IF NOT EXISTS
FOR (e:Episode) ON EACH [e.content]

// Owner lookups of episodes (scoped reads and erase).
// params: none
CREATE INDEX graphmem_episode_owner IF NOT EXISTS FOR (e:Episode) ON (e.owner)

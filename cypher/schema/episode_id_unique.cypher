// Every episode has a unique id.
// params: none
CREATE CONSTRAINT graphmem_episode_id IF NOT EXISTS FOR (e:Episode) REQUIRE e.id IS UNIQUE

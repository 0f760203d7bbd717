// Benchmark probe (conversation_search.py, add_latency.py): the smallest statement, one round
// trip's floor.
// params: none
RETURN 1 AS one

// Reprocess: every owner's episodes waiting for extraction (the server's background run), in
// the order they occurred.
// params: none
MATCH (e:Episode)
WHERE e.extraction = 'waiting'
RETURN {{ waiting_episode(e) }} AS episode
ORDER BY e.occurred_at, e.recorded_at, e.extraction_call, e.extraction_part

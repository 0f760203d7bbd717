// Marks episodes as waiting for extraction (the LLM could not be reached): each row names an
// episode, the add call it came in (the call's first episode id) and its place in that call;
// every one gets the error that stopped the extraction and when it happened.
// params: episodes, error, now
UNWIND $episodes AS row
MATCH (e:Episode {id: row.id, owner: row.owner})
SET e.extraction = 'waiting', e.extraction_call = row.call, e.extraction_part = row.part,
    e.extraction_error = $error, e.extraction_failed_at = datetime($now)
RETURN count(e) AS marked

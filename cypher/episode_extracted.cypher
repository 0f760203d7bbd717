// Reprocess: clears the waiting mark of one add call's episodes, in the transaction that
// writes their facts; returns how many were still waiting (fewer than asked: another run
// extracted them first, or some were forgotten meanwhile).
// params: ids, owner
UNWIND $ids AS id
MATCH (e:Episode {id: id, owner: $owner})
WHERE e.extraction = 'waiting'
REMOVE e.extraction, e.extraction_call, e.extraction_part, e.extraction_error,
       e.extraction_failed_at
RETURN count(e) AS claimed

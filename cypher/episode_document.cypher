// The episodes of one document an owner added (its pages or sections), with their metadata
// (which holds each one's place in the document).
// params: owner, document_id
MATCH (e:Episode {owner: $owner})
WHERE e.document_id = $document_id
RETURN e.id AS id, e.metadata AS metadata

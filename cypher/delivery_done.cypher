// Deliveries the receiver took leave the outbox.
// params: ids
UNWIND $ids AS id
MATCH (d:WebhookDelivery {id: id})
DELETE d
RETURN count(*) AS deleted

// Cypher script export, after the fact versions: one batch of memories whose id names one
// (checked) type and whose exported versions have other types too. As fact_memory_types does
// after a write (a script cannot call it with parameters), the memory's versions of that type
// get the union of the memory_types they carry and row.add (see graphmem/facts.py).
// A script carries no parameters: the export writes the batch as a literal list of
// {memory_id, add} maps in place of the rows parameter.
// params: rows
UNWIND $rows AS row
MATCH ()-[v:__TYPE__]->()
WHERE v.memory_id = row.memory_id
WITH row, collect(v) AS versions
WITH versions, reduce(types = row.add, v IN versions |
       reduce(acc = types, t IN coalesce(v.memory_types, []) |
         CASE WHEN t IN acc THEN acc ELSE acc + t END)) AS types
UNWIND versions AS v
SET v.memory_types = types

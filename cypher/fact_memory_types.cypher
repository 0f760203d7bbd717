// Keeps a memory's other relationship types on its versions of the (checked) type its id
// names, after a version joined the memory: memory_types becomes the union of what those
// versions carry and $add, on each of them (the new version too, when it has that type).
// Nothing is written when the union is empty. One seek of the type's memory_id index.
// params: memory_id, add
MATCH ()-[v:__TYPE__]->()
WHERE v.memory_id = $memory_id
WITH collect(v) AS versions
WITH versions, reduce(types = $add, v IN versions |
       reduce(acc = types, t IN coalesce(v.memory_types, []) |
         CASE WHEN t IN acc THEN acc ELSE acc + t END)) AS types
WHERE size(types) > 0
UNWIND versions AS v
SET v.memory_types = types
RETURN count(v) AS versions

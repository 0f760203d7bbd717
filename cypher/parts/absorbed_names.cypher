// A merge's names: __VAR__ (the kept entity) takes d's name and aliases as aliases and d's
// first keys as alias keys, under alias_owner (how entity_candidates finds __VAR__ by a merged
// name), and counts d's mentions. Included as {{ absorbed_names(k) }} by entity_absorb and its
// ArcadeDB variant, after a WITH that carries d and __VAR__.
WITH d, __VAR__,
     [a IN coalesce(__VAR__.aliases, []) + [d.name] + coalesce(d.aliases, []) WHERE a <> __VAR__.name] AS names,
     [x IN coalesce(__VAR__.alias_keys, []) + [d.first_key] + coalesce(d.alias_keys, []) WHERE x <> __VAR__.first_key] AS keys
WITH d, __VAR__,
     reduce(acc = [], a IN names | CASE WHEN a IN acc THEN acc ELSE acc + [a] END) AS aliases,
     reduce(acc = [], x IN keys | CASE WHEN x IN acc THEN acc ELSE acc + [x] END) AS alias_keys
SET __VAR__.aliases = aliases, __VAR__.alias_text = reduce(text = '', a IN aliases | text + ' ' + a),
    __VAR__.alias_keys = alias_keys,
    __VAR__.alias_owner = CASE WHEN size(alias_keys) > 0 THEN __VAR__.owner ELSE null END,
    __VAR__.mentions = coalesce(__VAR__.mentions, 0) + coalesce(d.mentions, 0), __VAR__.updated_at = datetime($now)

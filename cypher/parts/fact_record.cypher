// A fact (one relationship = one version) as returned to Python: every property but its
// embedding, times as ISO text (a driver DateTime costs ~75 us each). Included as
// {{ fact_record(r) }} by the statements that return facts.
__VAR__ {.*, embedding: null,
  valid_from: toString(__VAR__.valid_from), valid_to: toString(__VAR__.valid_to),
  recorded_at: toString(__VAR__.recorded_at), expired_at: toString(__VAR__.expired_at),
  created_at: toString(__VAR__.created_at),
  expiration_date: toString(__VAR__.expiration_date)}

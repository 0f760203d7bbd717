"""The graph store: Bolt driver, named Cypher statements, engine dialects, embedded server."""

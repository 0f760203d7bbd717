"""The benchmarks' own Cypher statements (`benchmarks/cypher/`): bulk loaders and reads that
graphmem itself never runs, so they stay out of the wheel. Named by path, they run through the
store like graphmem's statements (checked params, engine variants in `cypher/arcadedb/`) and
are linted with them: ``m.store.write(lambda: run(statement("entity_create_batch"), ...))``.
"""

from __future__ import annotations

from pathlib import Path

CYPHER = Path(__file__).resolve().parent / "cypher"


def statement(name: str) -> str:
    """The name under which the store runs `benchmarks/cypher/<name>.cypher`."""
    path = CYPHER / f"{name}.cypher"
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark statement {path}")
    return str(path)

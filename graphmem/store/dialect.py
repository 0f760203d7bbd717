"""Everything that differs between Neo4j and the embedded ArcadeDB, in one place.

Both speak Bolt and the same Cypher for reads and writes. They differ in how vector, full-text
and per-relationship-type (`memory_id`) indexes are created and named, in the scale of
`vector.similarity.cosine`, in which errors are worth retrying, and in a few statements:
ArcadeDB's variants in `cypher/arcadedb/` (chosen by `graphmem.store.queries.load` for the
engine) keep its `EntityVector` mirror in step with every entity write. Domain code never names
an engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from neo4j.exceptions import DatabaseError, ServiceUnavailable, SessionExpired, TransientError

from ..effects import Query, Rows, TxSteps, query, run
from ..errors import StoreError
from ..ontology import RELATION_NAME

log = logging.getLogger(__name__)
T = TypeVar("T")
# Entities mirrored per transaction when an older store is brought in step.
_SYNC_BATCH = 5000

# Constraints and range indexes: plain Cypher, accepted by both engines.
COMMON_SCHEMA = (
    "schema/entity_id_unique",
    "schema/entity_owner_key_unique",
    "schema/entity_owner_index",
    "schema/entity_owner_first_index",
    "schema/entity_alias_owner_index",
    "schema/episode_id_unique",
    "schema/episode_owner_index",
    "schema/feedback_id_unique",
    "schema/feedback_owner_index",
    "schema/feedback_memory_index",
    "schema/webhook_id_unique",
    "schema/webhook_owner_index",
    "schema/delivery_id_unique",
    "schema/delivery_webhook_index",
    "schema/delivery_status_index",
)


class SchemaStore(Protocol):
    """What schema work needs of a store: named statements, and the engine's SQL (ArcadeDB)."""

    def read(self, q: Query) -> Rows: ...

    def write(self, work: Callable[[], TxSteps[T]]) -> T: ...

    def run_schema(self, name: str, *, rel_type: str | None = None, **params: Any) -> None: ...

    def sql(self, command: str, *, language: str = "sql") -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Dialect:
    """The engine-specific bits the store needs (Neo4j's; `ArcadeDB` overrides them)."""

    name: str
    entity_vector_index: str
    episode_vector_index: str
    entity_fulltext_index: str
    episode_fulltext_index: str
    function_cosine_is_raw: bool  # vector.similarity.cosine: raw [-1,1] (ArcadeDB) or (1+cos)/2

    def cosine_from_index_score(self, score: float) -> float:
        """`db.index.vector.queryNodes` scores are (1 + cos) / 2 on both engines."""
        return 2.0 * float(score) - 1.0

    def cosine_from_function(self, value: float) -> float:
        """Normalize `vector.similarity.cosine` to raw cosine."""
        return float(value) if self.function_cosine_is_raw else 2.0 * float(value) - 1.0

    def ensure_schema(self, store: SchemaStore, dimensions: int) -> None:
        """Create constraints, vector and full-text indexes idempotently (safe on every start)."""
        for name in COMMON_SCHEMA:
            store.run_schema(name)
        for name in NEO4J_SEARCH_SCHEMA:
            store.run_schema(name, dimensions=dimensions)

    def relation_types(self, store: SchemaStore) -> list[str]:
        """The relationship types the store already holds (prepared when it opens, so that
        types written by earlier runs get their indexes too)."""
        rows = store.read(query("schema/neo4j_relationship_types"))
        return [r["type"] for r in rows if RELATION_NAME.match(r["type"] or "")]

    def prepare_relation_types(self, store: SchemaStore, names: Iterable[str]) -> None:
        """Declare what the engine needs per relation type: on Neo4j the type's `memory_id`
        range index (`schema/neo4j_fact_memory_index`), which makes the versions of a memory
        an index seek (`fact_versions_of_type`). Only missing indexes are created. Idempotent."""
        wanted = set(names)
        for name in wanted:
            if not RELATION_NAME.match(name):
                raise ValueError(f"unsafe relation type {name!r}")
        have = {r["type"] for r in store.read(query("schema/neo4j_fact_memory_indexes"))}
        for name in sorted(wanted - have):
            store.run_schema("schema/neo4j_fact_memory_index", rel_type=name)

    def settle_indexes(self, store: SchemaStore) -> None:
        """Bring the vector indexes up to date with every write so far (nothing on Neo4j,
        whose indexes are updated with each transaction)."""


@dataclass(frozen=True)
class ArcadeDB(Dialect):
    """The embedded ArcadeDB: indexes through its SQL, the EntityVector mirror."""

    def ensure_schema(self, store: SchemaStore, dimensions: int) -> None:
        """Vertex types, constraints, then the indexes through ArcadeDB's SQL (its Cypher
        cannot create them); a store made with other index settings keeps its index. Then the
        EntityVector mirror is brought in step."""
        for command in arcadedb_prepare_types():
            store.sql(command)
        for name in COMMON_SCHEMA:
            store.run_schema(name)
        for command in arcadedb_search_schema(dimensions):
            try:
                store.sql(command)
            except StoreError as exc:
                if not is_existing_index_conflict(str(exc)):
                    raise
                log.info("keeping this store's existing index: %s", exc)
        _sync_entity_vectors(store)

    def relation_types(self, store: SchemaStore) -> list[str]:
        """The store's edge types (its schema; ArcadeDB's Cypher cannot list them)."""
        types = store.sql("SELECT name, type FROM schema:types")
        return [
            t["name"] for t in types if t.get("type") == "edge" and RELATION_NAME.match(t["name"])
        ]

    def prepare_relation_types(self, store: SchemaStore, names: Iterable[str]) -> None:
        """Declare the relation types' fact embeddings as float arrays and index their
        `memory_id` (see `arcadedb_relation_schema`)."""
        script = arcadedb_relation_schema(
            store.sql("SELECT name, properties, indexes FROM schema:types"), names
        )
        if script:
            store.sql(script, language="sqlscript")

    def settle_indexes(self, store: SchemaStore) -> None:
        """ArcadeDB answers a vector query from the graph it last built plus a scan of the
        vectors written since, and rebuilds by itself once writes pause; this rebuilds both
        vector graphs now (after a bulk load, so that timings see the settled index)."""
        for index in (self.entity_vector_index, self.episode_vector_index):
            store.sql(f"REBUILD INDEX `{index}`")


def _sync_entity_vectors(store: SchemaStore) -> None:
    """Bring ArcadeDB's EntityVector mirror (cypher/arcadedb/entity_create.cypher) in step with
    the entities: once for a store made before the mirror, or after entities were deleted by
    hand. Two counts when nothing is missing."""
    counts = store.read(query("arcadedb/entity_vector_counts"))[0]
    if counts["entities"] == counts["mirrored"]:
        return
    log.info("mirroring entity vectors: %s", counts)
    for name, key in (
        ("arcadedb/entity_vector_sync", "created"),
        ("arcadedb/entity_vector_orphans", "deleted"),
    ):

        def batch(name: str = name) -> TxSteps[Rows]:
            return (yield from run(name, batch=_SYNC_BATCH))

        while store.write(batch)[0][key]:
            pass


NEO4J = Dialect(
    name="neo4j",
    entity_vector_index="graphmem_entity_embedding",
    episode_vector_index="graphmem_episode_embedding",
    entity_fulltext_index="graphmem_entity_names",
    episode_fulltext_index="graphmem_episode_content",
    function_cosine_is_raw=False,
)

ARCADEDB = ArcadeDB(
    name="arcadedb",
    entity_vector_index="EntityVector[embedding]",  # the mirror: one graph, not one per label
    episode_vector_index="Episode[embedding]",
    entity_fulltext_index="Entity[name,alias_text]",
    episode_fulltext_index="Episode[content]",
    function_cosine_is_raw=True,
)

NEO4J_SEARCH_SCHEMA = (
    "schema/neo4j_entity_vector_index",
    "schema/neo4j_episode_vector_index",
    "schema/neo4j_entity_fulltext_index",
    "schema/neo4j_episode_fulltext_index",
)


# Entity vector index options (ArcadeDB METADATA), on the EntityVector mirror (one vector graph
# where an index on Entity keeps one per label). The lookup rescores the owner's hits exactly, so
# quantized index scores never reach results. Applies to new stores: an existing index keeps the
# options it was created with (`IF NOT EXISTS`). Measured: benchmarks/results/entity_lookup_notes.md
ENTITY_VECTOR_INDEX_OPTIONS = "maxConnections: 16, beamWidth: 100, quantization: 'INT8'"


def arcadedb_search_schema(dimensions: int) -> list[str]:
    """ArcadeDB SQL for the vector and full-text indexes (its Cypher cannot create them)."""
    dims = int(dimensions)
    return [
        "CREATE PROPERTY Entity.embedding IF NOT EXISTS ARRAY_OF_FLOATS",
        "CREATE PROPERTY EntityVector.embedding IF NOT EXISTS ARRAY_OF_FLOATS",
        "CREATE PROPERTY EntityVector.id IF NOT EXISTS STRING",
        "CREATE PROPERTY EntityVector.owner IF NOT EXISTS STRING",
        "CREATE INDEX IF NOT EXISTS ON EntityVector (id) UNIQUE",
        "CREATE INDEX IF NOT EXISTS ON EntityVector (owner) NOTUNIQUE",
        "CREATE PROPERTY Episode.embedding IF NOT EXISTS ARRAY_OF_FLOATS",
        "CREATE PROPERTY Entity.name IF NOT EXISTS STRING",
        "CREATE PROPERTY Entity.alias_text IF NOT EXISTS STRING",
        # Entity resolution (cypher/arcadedb/entity_candidates.cypher) seeks these.
        "CREATE PROPERTY Entity.first_key IF NOT EXISTS STRING",
        "CREATE INDEX IF NOT EXISTS ON Entity (first_key) NOTUNIQUE",
        f"CREATE INDEX IF NOT EXISTS ON EntityVector (embedding) LSM_VECTOR "
        f"METADATA {{dimensions: {dims}, similarity: 'COSINE', {ENTITY_VECTOR_INDEX_OPTIONS}}}",
        # Stores made before the mirror indexed Entity itself: unused now, and each entity
        # written would still be inserted and periodically rebuilt there.
        "DROP INDEX `Entity[embedding]` IF EXISTS",
        f"CREATE INDEX IF NOT EXISTS ON Episode (embedding) LSM_VECTOR "
        f"METADATA {{dimensions: {dims}, similarity: 'COSINE'}}",
        "CREATE INDEX IF NOT EXISTS ON Entity (name, alias_text) FULL_TEXT",
        "CREATE PROPERTY Episode.content IF NOT EXISTS STRING",
        "CREATE INDEX IF NOT EXISTS ON Episode (content) FULL_TEXT",
    ]


def arcadedb_relation_schema(types: list[dict[str, Any]], relations: Iterable[str]) -> str:
    """ArcadeDB SQL script (empty when nothing is missing) that gives each relation type what
    facts need, creating the edge type if needed. `types` is ArcadeDB's ``schema:types``; every
    name must have passed the relation name check.

    * `embedding` declared as an ARRAY_OF_FLOATS. Undeclared, a relationship's embedding is a
      list of doubles, and search's `vector.similarity.cosine` over it cost ~20 us a fact
      instead of ~6 us. Values written before the declaration keep the old form (read the same
      way, only slower).
    * `memory_id` declared as a STRING with a (non-unique) index: the versions of a memory of
      that type are one index seek (`cypher/fact_versions_of_type.cypher`, as flat from 1k to
      100k facts as `benchmarks/lookup_bench.py` can tell, where the scan of every relationship
      grows with the store). ArcadeDB's Cypher seeks it only for a pattern with unlabelled
      ends, an unlisted type and the property in WHERE compared with a parameter (not
      `[r:A|B]`, not `{memory_id: $id}`, not `(s:Entity)-[r:A]->()`, not a value from UNWIND
      or WITH). Made over the existing edges when a store of an earlier version opens.

    >>> print(arcadedb_relation_schema([{"name": "LIKES", "properties": []}], ["LIKES"]))
    CREATE EDGE TYPE `LIKES` IF NOT EXISTS;
    CREATE PROPERTY `LIKES`.embedding IF NOT EXISTS ARRAY_OF_FLOATS;
    CREATE PROPERTY `LIKES`.memory_id IF NOT EXISTS STRING;
    CREATE INDEX IF NOT EXISTS ON `LIKES` (memory_id) NOTUNIQUE NULL_STRATEGY SKIP;
    >>> done = {"name": "LIKES", "properties": [{"name": "embedding"}, {"name": "memory_id"}],
    ...         "indexes": [{"properties": ["memory_id"]}]}
    >>> arcadedb_relation_schema([done], ["LIKES"])
    ''
    """
    known = {t["name"]: t for t in types}
    lines: list[str] = []
    for name in sorted(set(relations)):
        if not RELATION_NAME.match(name):
            raise ValueError(f"unsafe relation type {name!r}")
        found = known.get(name, {})
        declared = {p.get("name") for p in found.get("properties") or []}
        indexed = any(i.get("properties") == ["memory_id"] for i in found.get("indexes") or [])
        missing = []  # names quoted: FROM is SQL
        if "embedding" not in declared:
            missing.append(f"CREATE PROPERTY `{name}`.embedding IF NOT EXISTS ARRAY_OF_FLOATS;")
        if "memory_id" not in declared:
            missing.append(f"CREATE PROPERTY `{name}`.memory_id IF NOT EXISTS STRING;")
        if not indexed:
            missing.append(
                f"CREATE INDEX IF NOT EXISTS ON `{name}` (memory_id) NOTUNIQUE NULL_STRATEGY SKIP;"
            )
        if missing:
            lines += [f"CREATE EDGE TYPE `{name}` IF NOT EXISTS;", *missing]
    return "\n".join(lines)


def arcadedb_prepare_types() -> list[str]:
    """Vertex types must exist before ArcadeDB accepts properties and indexes on them."""
    return [
        "CREATE VERTEX TYPE Entity IF NOT EXISTS",
        "CREATE VERTEX TYPE EntityVector IF NOT EXISTS",
        "CREATE VERTEX TYPE Episode IF NOT EXISTS",
        "CREATE VERTEX TYPE Feedback IF NOT EXISTS",
    ]


def is_retryable(exc: BaseException) -> bool:
    """Transient failures worth a retry: the driver's own, plus ArcadeDB's concurrent-write
    errors (reported as generic database errors that the driver does not retry)."""
    if isinstance(exc, TransientError | ServiceUnavailable | SessionExpired):
        return True
    if isinstance(exc, DatabaseError):
        text = str(exc)
        return any(
            marker in text
            for marker in ("EntityNotFound", "ConcurrentModification", "NeedRetry", "Timeout")
        )
    return False


def is_existing_index_conflict(message: str) -> bool:
    """ArcadeDB refuses `CREATE INDEX IF NOT EXISTS` when the index exists with other settings
    (e.g. a store made before the vector index options changed); the old index still works."""
    return (
        "already exists on the same properties" in message and "different configuration" in message
    )

"""Everything that differs between Neo4j and the embedded ArcadeDB, in one place.

Both speak Bolt and the same Cypher for reads and writes. They differ in how vector and
full-text indexes are created and named, in the scale of `vector.similarity.cosine`, and in
which errors are worth retrying.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from neo4j.exceptions import DatabaseError, ServiceUnavailable, SessionExpired, TransientError

from ..ontology import RELATION_NAME

# Constraints and range indexes: plain Cypher, accepted by both engines.
COMMON_SCHEMA = (
    "schema/entity_id_unique",
    "schema/entity_owner_key_unique",
    "schema/entity_owner_index",
    "schema/entity_owner_first_index",
    "schema/episode_id_unique",
    "schema/episode_owner_index",
)


@dataclass(frozen=True)
class Dialect:
    """The engine-specific bits the store needs."""

    name: str
    entity_vector_index: str
    episode_vector_index: str
    entity_fulltext_index: str
    episode_fulltext_index: str
    function_cosine_is_raw: bool  # vector.similarity.cosine: raw [-1,1] (ArcadeDB) or (1+cos)/2

    def runs(self, statement: str) -> bool:
        """Whether a named statement applies to this engine: the ones in `cypher/arcadedb/`
        (the EntityVector mirror) run on ArcadeDB only, and read nothing elsewhere.

        >>> NEO4J.runs("arcadedb/entity_vector_mirror"), ARCADEDB.runs("entity_get")
        (False, True)
        """
        return not statement.startswith("arcadedb/") or self.name == "arcadedb"

    def cosine_from_index_score(self, score: float) -> float:
        """`db.index.vector.queryNodes` scores are (1 + cos) / 2 on both engines."""
        return 2.0 * float(score) - 1.0

    def cosine_from_function(self, value: float) -> float:
        """Normalize `vector.similarity.cosine` to raw cosine."""
        return float(value) if self.function_cosine_is_raw else 2.0 * float(value) - 1.0


NEO4J = Dialect(
    name="neo4j",
    entity_vector_index="graphmem_entity_embedding",
    episode_vector_index="graphmem_episode_embedding",
    entity_fulltext_index="graphmem_entity_names",
    episode_fulltext_index="graphmem_episode_content",
    function_cosine_is_raw=False,
)

ARCADEDB = Dialect(
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


# Entity vector index options (ArcadeDB METADATA), on the EntityVector mirror: ArcadeDB keeps
# one vector graph per label of an indexed type (Entity:Person, Entity:Organization, ...), so an
# index on Entity is searched as five or six graphs; the mirror type {id, owner, embedding} has
# one (cypher/arcadedb/entity_vector_mirror.cypher). On a copy of the store benchmark's 50k
# entities, a 10%-owner's k'=150 lookup took 6.5 ms on the mirror against 11.4 ms on Entity.
# Degree 16 instead of 32 builds ~2x faster and searches cheaper, and INT8 quantization cut the
# owner-scoped over-fetch (graphmem.entity_search) by ~10% at the same recall; the search
# rescores the owner's hits exactly, so quantized index scores never reach results. Applies to
# new stores: an existing index keeps the options it was created with (`IF NOT EXISTS`).
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
    """ArcadeDB SQL script (empty when nothing is missing) that declares `embedding` as an
    ARRAY_OF_FLOATS on each relation type, creating the edge type if needed. `types` is
    ArcadeDB's ``schema:types``; every name must have passed the relation name check.

    Undeclared, a relationship's embedding is a list of doubles, and search's
    `vector.similarity.cosine` over it cost ~20 us a fact instead of ~6 us. Values written
    before the declaration keep the old form (read the same way, only slower).

    >>> print(arcadedb_relation_schema([{"name": "LIKES", "properties": []}], ["LIKES"]))
    CREATE EDGE TYPE `LIKES` IF NOT EXISTS;
    CREATE PROPERTY `LIKES`.embedding IF NOT EXISTS ARRAY_OF_FLOATS;
    """
    typed = {
        t["name"]
        for t in types
        if any(p.get("name") == "embedding" for p in t.get("properties") or [])
    }
    lines: list[str] = []
    for name in sorted(set(relations) - typed):
        if not RELATION_NAME.match(name):
            raise ValueError(f"unsafe relation type {name!r}")
        lines.append(f"CREATE EDGE TYPE `{name}` IF NOT EXISTS;")  # quoted: FROM is SQL
        lines.append(f"CREATE PROPERTY `{name}`.embedding IF NOT EXISTS ARRAY_OF_FLOATS;")
    return "\n".join(lines)


def arcadedb_prepare_types() -> list[str]:
    """Vertex types must exist before ArcadeDB accepts properties and indexes on them."""
    return [
        "CREATE VERTEX TYPE Entity IF NOT EXISTS",
        "CREATE VERTEX TYPE EntityVector IF NOT EXISTS",
        "CREATE VERTEX TYPE Episode IF NOT EXISTS",
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

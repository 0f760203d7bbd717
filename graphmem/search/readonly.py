"""The guard in front of `query(cypher, params)`, the one place graphmem accepts user Cypher.

Two layers keep the passthrough read-only:

1. `check` refuses the statement before it is sent when, outside string literals, comments
   and backticked names, it contains a clause or procedure that can write: ``CREATE``,
   ``MERGE``, ``SET``, ``DELETE``, ``DETACH``, ``REMOVE``, ``DROP``, ``LOAD CSV``, ``FOREACH``,
   ``ALTER``, ``GRANT``/``DENY``/``REVOKE``, ``START``/``STOP``, ``TERMINATE``, ``IN
   TRANSACTIONS``, or a ``CALL`` of any procedure outside a short read-only allow-list (index
   queries and schema listings). Several statements separated by ``;`` are refused too.
   Being a keyword scan, it errs on the side of refusing (a property named ``set`` must be
   backticked).
2. The statement then runs in a *read* transaction (`session.execute_read`), so Neo4j itself
   rejects a write that slipped through; ArcadeDB does not enforce the access mode, which is
   why the first layer exists.

Scoping is the caller's job: this is raw access to the whole database. `query` therefore
requires a scope, passes it as ``$owner`` / ``$user_id`` / ``$agent_id`` / ``$run_id``, and
refuses a statement that does not use ``$owner`` at all; a statement can still read other
owners' data if it is written to, so never pass untrusted Cypher.

>>> check("MATCH (n:Entity {owner: $owner}) RETURN n.name")
>>> check("MATCH (n {owner: $owner}) DETACH DELETE n")
Traceback (most recent call last):
...
graphmem.errors.ValidationError: query() is read-only: DETACH is not allowed
"""

from __future__ import annotations

import re

from ..errors import ValidationError

_NOT_CODE = re.compile(
    r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|//[^\n]*|/\*.*?\*/""", re.DOTALL
)
_WRITE_WORDS = re.compile(
    r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH|ALTER|GRANT|DENY|REVOKE|"
    r"TERMINATE|START|STOP|LOAD\s+CSV|IN\s+TRANSACTIONS)\b",
    re.IGNORECASE,
)
_CALL = re.compile(r"\bCALL\s+([A-Za-z_][\w.]*)", re.IGNORECASE)
READ_PROCEDURES = frozenset(
    {
        "db.index.vector.querynodes",
        "db.index.fulltext.querynodes",
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
    }
)


def check(cypher: str) -> None:
    """Raise ValidationError unless `cypher` is one statement with no write clause and no
    procedure call outside `READ_PROCEDURES` (see the module docstring)."""
    if not isinstance(cypher, str) or not cypher.strip():
        raise ValidationError("query() takes a non-empty Cypher string")
    code = _NOT_CODE.sub(" ", cypher)
    if ";" in code.strip().rstrip(";"):
        raise ValidationError("query() runs one statement; remove the ';'")
    found = _WRITE_WORDS.search(code)
    if found:
        word = " ".join(found.group(1).upper().split())
        raise ValidationError(f"query() is read-only: {word} is not allowed")
    for call in _CALL.finditer(code):
        name = call.group(1).lower()
        if name not in READ_PROCEDURES:
            raise ValidationError(
                f"query() is read-only: procedure {call.group(1)!r} is not allowed "
                f"(allowed: {sorted(READ_PROCEDURES)})"
            )
    if "$owner" not in code:
        raise ValidationError(
            "query() needs a statement scoped with $owner, e.g. "
            "MATCH (n:Entity {owner: $owner}) RETURN n.name"
        )

"""Entity resolution inside an owner's namespace: which node a name in a fact refers to."""

from __future__ import annotations

import re
import unicodedata
import uuid

from .effects import TxSteps, run
from .scope import Scope


def name_key(name: str) -> str:
    """Normalized entity name: case, accents-compatible forms, punctuation and spacing folded.

    >>> name_key("  Dr. ALICE   Smith! ")
    'dr alice smith'
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def entity_id(
    scope: Scope,
    name: str,
    label: str,
    vector: list[float],
    now: str,
    create: bool = True,
) -> TxSteps[str | None]:
    """The id of the owner's entity called `name`, created if missing (unless `create` is
    False: then None)."""
    key = name_key(name)
    found = yield from run("entity_find", owner=scope.owner, name_key=key)
    if found:
        if create:
            yield from run("entity_mentioned", id=found[0]["id"], now=now)
        return str(found[0]["id"])
    if not create:
        return None
    new_id = str(uuid.uuid4())
    yield from run(
        "entity_create",
        label=label,
        id=new_id,
        owner=scope.owner,
        name=name,
        name_key=key,
        type=label,
        embedding=vector,
        now=now,
    )
    return new_id

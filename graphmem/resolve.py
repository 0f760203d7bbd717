"""Entity resolution inside an owner's namespace: which node a name in a fact refers to.

In order: the exact normalized name; an alias; the name without titles or company suffixes;
for people, a first name (or nickname) that fits exactly one known person ("Emma" and
"my sister Emma Stone"; "Bob Smith" and "Robert Smith"); a close spelling; and finally a
near-identical name vector from the entity index (these two only between names holding the
same numbers). Types must be compatible. A name found
another way than exactly becomes an alias (and a fuller person name becomes the name), so
aliases accumulate and the next lookup is exact.

>>> people = [{"id": "e1", "name": "Emma Stone", "type": "Person", "aliases": []}]
>>> match_name("Emma", "Person", people)
'e1'
>>> match_name("Emma", "Place", people) is None
True
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any

from .context import Context
from .effects import Rows, Steps, TxSteps, read, run
from .ontology import DEFAULT_ENTITY_TYPE
from .scope import Scope

# Cosine above which two names of compatible type are taken for the same entity.
VECTOR_MATCH = 0.93
# Spelling similarity (difflib ratio of normalized names) for the same.
FUZZY_MATCH = 0.92
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx"})
_SUFFIXES = frozenset(
    {"inc", "corp", "corporation", "ltd", "llc", "co", "company", "gmbh", "plc", "ag", "sa"}
)
_NICKNAMES = {
    "robert": ("bob", "rob", "robbie", "bobby"),
    "william": ("bill", "will", "billy", "liam"),
    "elizabeth": ("liz", "beth", "lizzie", "betty", "eliza"),
    "james": ("jim", "jimmy", "jamie"),
    "michael": ("mike", "mikey", "mick"),
    "katherine": ("kate", "katie", "kathy", "kat"),
    "catherine": ("cathy", "cat"),
    "thomas": ("tom", "tommy"),
    "david": ("dave", "davey"),
    "daniel": ("dan", "danny"),
    "christopher": ("chris",),
    "alexander": ("alex", "sasha"),
    "alexandra": ("alex", "sasha", "lexi"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy"),
    "benjamin": ("ben", "benny"),
    "joseph": ("joe", "joey"),
    "anthony": ("tony",),
    "nicholas": ("nick", "nicky"),
    "matthew": ("matt",),
    "andrew": ("andy", "drew"),
    "steven": ("steve",),
    "stephen": ("steve",),
    "jennifer": ("jen", "jenny"),
    "margaret": ("maggie", "meg", "peggy"),
    "richard": ("rick", "rich", "dick"),
    "edward": ("ed", "eddie", "ted"),
    "charles": ("charlie", "chuck"),
    "patricia": ("pat", "patty", "trish"),
    "susan": ("sue", "susie"),
    "deborah": ("deb", "debbie"),
    "jonathan": ("jon", "jonny"),
    "timothy": ("tim", "timmy"),
    "gregory": ("greg",),
    "zachary": ("zach", "zack"),
    "victoria": ("vicky", "tori"),
    "rebecca": ("becky", "becca"),
    "abigail": ("abby",),
    "jessica": ("jess", "jessie"),
}
_CANONICAL = {nick: full for full, nicks in _NICKNAMES.items() for nick in nicks}
_NUMBER = re.compile(r"\d+")


def name_key(name: str) -> str:
    """Normalized entity name: case, accents-compatible forms, punctuation and spacing folded.

    >>> name_key("  Dr. ALICE   Smith! ")
    'dr alice smith'
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def core_key(name: str) -> str:
    """The name key without titles and company suffixes.

    >>> core_key("Dr. Alice Smith"), core_key("Globex Corporation")
    ('alice smith', 'globex')
    """
    words = name_key(name).split()
    while len(words) > 1 and words[0] in _TITLES:
        words = words[1:]
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words = words[:-1]
    return " ".join(words)


def match_name(name: str, label: str, entities: Sequence[dict[str, Any]]) -> str | None:
    """The id of the one entity in `entities` (each with id, name, type, aliases) that `name`
    refers to by the rules above, short of vectors; None when none or several fit."""
    candidates = [e for e in entities if _compatible(label, e["type"])]
    key, core = name_key(name), core_key(name)
    for rule in (
        lambda e: key in {name_key(a) for a in e["aliases"] or []},
        lambda e: core == core_key(e["name"]),
        lambda e: _same_person(core, core_key(e["name"])) if _is_person(label, e) else False,
        lambda e: (
            len(core) >= 5
            and same_numbers(core, e["name"])
            and SequenceMatcher(None, core, core_key(e["name"])).ratio() >= FUZZY_MATCH
        ),
    ):
        found = {e["id"] for e in candidates if rule(e)}
        if len(found) == 1:
            return found.pop()
        if found:  # ambiguous: a later rule would be no better
            return None
    return None


def same_numbers(name: str, other: str) -> bool:
    """Whether two names hold the same numbers, in order: a close spelling or a near vector
    never makes "Room 11" "Room 1", "iPhone 15" "iPhone 14" or "Season 2" "Season 22".

    >>> same_numbers("thing 11", "thing 1"), same_numbers("Acme 2", "ACME  2")
    (False, True)
    """
    return _NUMBER.findall(name) == _NUMBER.findall(other)


def first_key(name: str) -> str:
    """The canonical first word of a name (nicknames folded), which resolution looks up by.

    >>> first_key("Dr. Bob Smith"), first_key("Globex Corp")
    ('robert', 'globex')
    """
    words = core_key(name).split()
    return _CANONICAL.get(words[0], words[0]) if words else ""


def known_names(scope: Scope, names: Sequence[str]) -> Steps[set[str]]:
    """The name keys among `names` that are exact names of the owner's entities."""
    keys = sorted({name_key(name) for name in names})
    if not keys:
        return set()
    rows = yield from read("entity_find_keys", owner=scope.owner, name_keys=keys)
    return {row["name_key"] for row in rows}


def resolve_steps(
    ctx: Context, scope: Scope, names: Sequence[tuple[str, str, Sequence[float]]]
) -> Steps[dict[str, str]]:
    """Before a write: for each (name, label, vector) that is NOT an exact name of the
    owner's (see `known_names`), the entity it refers to, if any, as {name_key: entity id}.
    Read-only, so the write transaction stays short; it checks the exact name again and
    creates what is new."""
    hints: dict[str, str] = {}
    for name, label, vector in names:
        key = name_key(name)
        if key in hints:
            continue
        rows = yield from read("entity_candidates", owner=scope.owner, first_key=first_key(name))
        match = match_name(name, label, rows)
        if match is None and vector and ctx.entity_search is not None:
            near = yield from ctx.entity_search.similar_steps(scope.owner, vector, 3)
            close = [
                r
                for r in near
                if r["score"] >= VECTOR_MATCH
                and _compatible(label, r["type"])
                and same_numbers(name, r["name"])
            ]
            match = str(close[0]["id"]) if close else None
        if match is not None:
            hints[key] = match
    return hints


def entity_id(
    scope: Scope,
    name: str,
    label: str,
    vector: Sequence[float],
    now: str,
    *,
    create: bool = True,
    hint: str | None = None,
) -> TxSteps[str | None]:
    """The id of the owner's entity `name` refers to: its exact name, else `hint` (from
    `resolve_steps`; the name becomes an alias), else a new entity (unless `create` is False:
    then None)."""
    key = name_key(name)
    found = yield from run(
        "entity_touch", owner=scope.owner, name_key=key, mention=int(create), now=now
    )
    if found:
        return str(found[0]["id"])
    if hint is not None:
        known = yield from _alias(hint, name, now) if create else run("entity_get", id=hint)
        if known:
            return hint
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
        first_key=first_key(name),
        type=label,
        embedding=list(vector) or None,  # None: a name known before the write, gone since
        now=now,
    )
    return new_id


def _alias(entity_id: str, name: str, now: str) -> TxSteps[Rows]:
    """Record `name` as an alias; a fuller person name ("Emma Stone" for "Emma") becomes the
    name and the old one an alias. No rows when the entity is gone."""
    rows = yield from run("entity_get", id=entity_id)
    if not rows:
        return []
    old, kind = rows[0]["name"], rows[0]["type"]
    fuller = kind == "Person" and len(core_key(name).split()) > len(core_key(old).split())
    new_name, alias = (name, old) if fuller else (old, name)
    return (
        yield from run(
            "entity_alias",
            id=entity_id,
            name=new_name,
            name_key=name_key(new_name),
            first_key=first_key(new_name),
            alias=alias,
            alias_key=first_key(alias),
            now=now,
        )
    )


def _compatible(label: str, other: str | None) -> bool:
    return label == other or DEFAULT_ENTITY_TYPE in (label, other) or other is None


def _is_person(label: str, entity: dict[str, Any]) -> bool:
    return "Person" in (label, entity["type"]) and _compatible(label, entity["type"])


def _same_person(a: str, b: str) -> bool:
    """First names equal (or one a nickname of the other) and surnames equal when both have
    one: "emma" ~ "emma stone", "bob smith" ~ "robert smith", not "emma stone" ~ "emma watts".
    """
    wa, wb = a.split(), b.split()
    if not wa or not wb or len(wa) > 3 or len(wb) > 3:
        return False
    if _CANONICAL.get(wa[0], wa[0]) != _CANONICAL.get(wb[0], wb[0]):
        return False
    return len(wa) == 1 or len(wb) == 1 or wa[-1] == wb[-1]

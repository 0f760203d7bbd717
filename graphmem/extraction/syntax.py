"""Parse helpers of the offline extractor: pure functions over spaCy tokens (the dependency
labels of en_core_web_sm) that read a sentence's subjects, objects, names, negation and
possessors, and tell chit-chat (vocatives, demonstratives, generic nouns) from facts. No state
and no model loading: `offline.OfflineExtractor` matches the ontology's triggers and reads
their arguments with these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ontology import Trigger

# "our" is only ever a possessive: "our cat Luna" is the speaker's cat too
FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "our", "ours"})
THIRD_PERSON = frozenset({"he", "she", "him", "her", "his", "hers"})
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
# "I'd love to go to Sweden": with "would", these governors state a wish, as "want" does
WISH_GOVERNORS = frozenset({"love", "like"})
DEMONSTRATIVES = frozenset({"this", "that", "these", "those"})
# gerunds whose object is what is liked or done ("hate doing laundry", "love watching LeBron");
# other gerunds ("love helping people") are about the act, not the object
LIGHT_GERUNDS = frozenset({"do", "play", "watch", "read", "learn", "study"})
# gerunds that name no pastime of their own ("I love seeing them eat", "love going on trips")
PLAIN_GERUNDS = frozenset(
    {"go", "see", "get", "make", "have", "be", "take", "come", "know", "hear", "find", "feel"}
)
# what a gerund may carry and still name an activity alone ("keen on gardening lately")
GERUND_MODIFIERS = frozenset({"advmod", "npadvmod", "prep", "punct", "cc", "conj", "aux", "neg"})
# nouns a light verb takes without naming an activity ("doing ok", "do things")
NOT_ACTIVITIES = frozenset(
    {"thing", "stuff", "ok", "okay", "hope", "wonder", "part", "lot", "bit", "good", "well"}
)
# words before a name said to the listener ("Hey Nate, ...", "Thanks, Nate!")
VOCATIVE_CUES = frozenset({"hey", "hi", "hello", "thanks", "congrats", "wow", "yo", "dear"})
SUBJECT_DEPS = ("nsubj", "nsubjpass")
# objects that name no employer or place of their own ("my job at Initech" -> Initech)
GENERIC_OBJECTS = frozenset({"job", "position", "role", "work", "place", "apartment", "house"})


def unwrap(tok: Any) -> Any:
    """ "my job at Initech" -> Initech; "a podcast called Serial" -> Serial; other tokens
    unchanged."""
    for c in tok.children:
        if c.dep_ == "acl" and c.lemma_ in NAMING_VERBS:
            names = [g for g in c.children if g.dep_ in ("oprd", "dobj", "attr")]
            if names:
                return names[0]
    if tok.lemma_.lower() in GENERIC_OBJECTS:
        inner = [p for c in tok.children if c.dep_ == "prep" for p in pobjs(c)]
        inner = inner or [
            p
            for c in tok.head.children
            if c.dep_ == "prep" and c.lemma_.lower() in ("at", "with", "for")
            for p in pobjs(c)
        ]
        if inner:
            return inner[0]
    return tok


def fits(tok: Any, kind: str, allowed: list[str]) -> bool:
    """Whether the relation allows this argument: a person (a pronoun, or a name the parser
    recognised in subject position) must be allowed as such; anything else fits, since the
    parser's guesses for invented names (Hooli, Contoso) are unreliable."""
    if not allowed or kind in allowed:
        return True
    if tok.lower_ in FIRST_PERSON or tok.lower_ in THIRD_PERSON:
        return False
    return not (tok.ent_type_ == "PERSON" and tok.dep_ in SUBJECT_DEPS)


def governor(verb: Any) -> str | None:
    """The lemma of the verb governing a complement ("plan" in "plan to visit"); "want" for
    a wish said with "would" ("I'd love to go")."""
    if verb.dep_ not in ("xcomp", "advcl", "pcomp"):
        return None
    head = verb.head.head if verb.dep_ == "pcomp" else verb.head  # "thinking about going"
    lemma = head.lemma_.lower()
    if lemma in WISH_GOVERNORS and any(c.lemma_ == "would" for c in head.children):
        return "want"
    return lemma


def prep_objects(head: Any, preps: Sequence[str]) -> list[Any]:
    """Objects of the named prepositions on `head`: its own ("work at X"), two-word ones
    ("dropped out of X"), and those on an adverb ("went back to X") or an "as" phrase
    ("work as an analyst at X") or a "from" phrase ("switched from X to Y")."""
    out = []
    hosts = [head] + [
        g
        for c in head.children
        if c.dep_ == "advmod" or (c.dep_ == "prep" and c.lemma_.lower() in ("as", "from"))
        for g in ([c] if c.dep_ == "advmod" else [p for p in c.children if p.dep_ == "pobj"])
    ]
    for host in hosts:
        for c in host.children:
            if c.dep_ not in ("prep", "dative", "agent"):
                continue
            word = c.lemma_.lower()
            if word in preps:
                out.extend(pobjs(c))
            for g in c.children:
                if g.dep_ == "prep" and f"{word} {g.lemma_.lower()}" in preps:
                    out.extend(pobjs(g))
    return out


def allowed(objects: list[Any], trig: Trigger) -> list[Any]:
    """The objects a trigger's `objects` list admits, by head lemma, before or after
    unwrapping ("quit the gym"; "lost my job at the bank"); all when it has none."""
    if not trig.objects:
        return objects
    return [o for o in objects if {o.lemma_.lower(), unwrap(o).lemma_.lower()} & set(trig.objects)]


def role_objects(noun: Any, preps: Sequence[str]) -> list[Any]:
    """A relational noun's prepositional objects, or its copula's when the parser hung the
    phrase there ("I'm a sophomore at Ohio State")."""
    own = prep_objects(noun, preps)
    if own or noun.dep_ != "attr":
        return own
    return [
        p
        for c in noun.head.children
        if c.dep_ == "prep" and c.lemma_.lower() in preps
        for p in pobjs(c)
    ]


def gerunds(verb: Any) -> list[Any]:
    """Gerunds a verb without an object governs, themselves without one ("go swimming on
    Sundays"; not "doing my part, volunteering")."""
    if has_object(verb):
        return []
    return [
        c
        for c in verb.children
        if c.dep_ in ("xcomp", "advcl") and c.tag_ == "VBG" and not has_object(c)
    ]


def has_object(verb: Any, measures: bool = True) -> bool:
    """Whether a verb has a direct object; without `measures`, "a lot" and "a bit" are none
    ("I've been painting a lot")."""
    return any(
        c.dep_ == "dobj" and (measures or c.lemma_.lower() not in NOT_ACTIVITIES)
        for c in verb.children
    )


def is_activity(tok: Any) -> bool:
    """An activity said bare: a noun with no determiner or possessive (a whole word, not
    "non" of "non-stop"), or a gerund."""
    if tok.pos_ == "VERB":
        return tok.tag_ == "VBG"
    hyphenated = tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].text == "-"
    return (
        tok.pos_ == "NOUN"
        and tok.is_alpha
        and not hyphenated
        and tok.lemma_.lower() not in NOT_ACTIVITIES
        and not any(c.dep_ in ("det", "poss") for c in tok.children)
    )


def compound_object(noun: Any) -> list[Any]:
    """ "a big basketball fan" -> basketball (the last compound before the noun)."""
    compounds = [c for c in noun.lefts if c.dep_ == "compound"]
    return compounds[-1:]


def demonstrative(tok: Any) -> bool:
    return any(c.dep_ == "det" and c.lower_ in DEMONSTRATIVES for c in tok.children)


def unnamed(tok: Any, things: bool) -> bool:
    """A generic object that names no place or employer ("lost my job", "promoted at work"),
    or, unless the relation takes things ("I love Mondays"), a time ("volunteer at
    yesterday", misparsed)."""
    inner = unwrap(tok)
    if inner.lemma_.lower() in GENERIC_OBJECTS:
        return True
    return not things and inner.ent_type_ in ("DATE", "TIME")


def common(tok: Any) -> bool:
    """A common noun, not a name the tagger missed: lowercase, or a plural ("People ...")."""
    if tok.pos_ != "NOUN" or tok.ent_type_ == "PERSON":
        return False
    return not tok.text[:1].isupper() or tok.tag_ == "NNS"


def personal(tok: Any) -> bool:
    """A token that can only be a person: I, he, she or a recognised person's name."""
    return tok.lower_ in FIRST_PERSON or tok.lower_ in THIRD_PERSON or tok.ent_type_ == "PERSON"


def vocative(tok: Any) -> bool:
    """A name said to the listener: after "Hey"/"Thanks", or set off by a comma at either
    end of the sentence ("Nate, ..." without an apposition; "..., Nate!")."""
    if tok.pos_ != "PROPN":
        return False
    doc = tok.doc
    prev = doc[tok.i - 1] if tok.i > tok.sent.start else None
    nxt = doc[tok.i + 1] if tok.i + 1 < tok.sent.end else None
    if prev is not None and (
        prev.lower_ in VOCATIVE_CUES
        or (prev.text == "," and tok.i >= 2 and doc[tok.i - 2].lower_ in VOCATIVE_CUES)
    ):
        return True
    if prev is not None and prev.text == "," and (nxt is None or nxt.text in ("!", ".", "?")):
        return True
    opening = prev is None and nxt is not None and nxt.text == ","
    return opening and not any(c.dep_ == "appos" for c in tok.children)


def is_question(sent: Any) -> bool:
    """A question asks rather than tells, unless it mentions the speaker's own people
    ("Did you know my brother Sam lives in Oslo?")."""
    if not sent.text.strip().endswith("?"):
        return False
    return not any(t.lower_ == "my" and t.dep_ == "poss" and t.head.pos_ == "NOUN" for t in sent)


def conjuncts(tok: Any) -> list[Any]:
    return [
        tok,
        *[
            c
            for c in tok.conjuncts
            if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN", "PRON", "VERB")
        ],
    ]


def subjects(verb: Any) -> list[Any]:
    """Grammatical subjects, following coordination of verbs ("I live here and work at X")."""
    node = verb
    while True:
        subs = [c for c in node.children if c.dep_ in SUBJECT_DEPS]
        if subs:
            return [s for sub in subs for s in conjuncts(sub)]
        if node.dep_ == "pcomp" and node.head.dep_ == "prep":  # "thinking about going"
            node = node.head.head
            continue
        if node.dep_ in ("conj", "xcomp", "advcl", "acomp", "ccomp") and node.head is not node:
            node = node.head
            continue
        return []


def pobjs(prep: Any) -> list[Any]:
    """A preposition's objects, with coordination; a gerund alone ("keen on gardening"), or
    a light gerund's object ("interested in learning Spanish" -> Spanish)."""
    out = [p for c in prep.children if c.dep_ == "pobj" for p in conjuncts(c)]
    for c in prep.children:
        if c.dep_ == "pcomp" and c.tag_ == "VBG":
            inner = [g for g in c.children if g.dep_ not in GERUND_MODIFIERS]
            if not inner:
                out.append(c)
            elif c.lemma_ in LIGHT_GERUNDS:
                out.extend(g for g in inner if g.dep_ == "dobj")
    return out


def direct_objects(verb: Any) -> list[Any]:
    objects = [o for c in verb.children if c.dep_ in ("dobj", "attr", "oprd") for o in conjuncts(c)]
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
            if inner or obj.lemma_.lower() not in PLAIN_GERUNDS:
                out.extend(inner or [obj])  # not "I love seeing them", "love going on trips"
        else:
            out.append(obj)
    if not out:  # "I love to cook" -> cook; "I hate doing laundry" -> laundry
        for c in verb.children:
            if c.dep_ == "xcomp" and quoted(c):  # I loved "Becoming Nicole"
                out.append(c)
            elif c.dep_ == "xcomp" and c.pos_ == "VERB":
                inner = [g for g in c.children if g.dep_ == "dobj"]
                if c.tag_ == "VBG" and c.lemma_.lower() not in PLAIN_GERUNDS:
                    out.extend(inner if c.lemma_ in LIGHT_GERUNDS else [] if inner else [c])
                elif c.tag_ == "VBG":  # "I love seeing them eat": no pastime named
                    pass
                elif not inner:
                    out.append(c)
    return out


def negated(tok: Any) -> bool:
    for child in tok.children:
        if child.dep_ == "neg" or child.lower_ in NEGATION_WORDS:
            return True
        if child.lower_ in ENDING_ADVERBS and (
            child.dep_ == "advmod" or any(g.dep_ == "neg" for g in child.children)
        ):
            return True
    return False


def possessor(noun: Any) -> Any | None:
    """Who holds a relational noun: "my sister" -> my; "Emma is my sister" -> my; "a passion
    of mine" -> mine."""
    for c in noun.children:
        if c.dep_ == "poss":
            return c
        if c.dep_ == "prep" and c.lower_ == "of":  # "a passion of mine"
            mine = [p for p in c.children if p.dep_ == "pobj" and p.lower_ in FIRST_PERSON]
            if mine:
                return mine[0]
    if noun.dep_ == "compound":  # "my cat Mochi" with "my" on the name
        return next((c for c in noun.head.children if c.dep_ == "poss"), None)
    if noun.dep_ == "dobj" and noun.head.lemma_ in ("have", "get", "adopt"):
        subs = subjects(noun.head)
        return subs[0] if subs else None
    return None


def named(noun: Any, names_only: bool = True) -> list[Any]:
    """Who or what a relational noun names: apposition either way ("my sister Emma", "Rex,
    my dog"), copula, compound or "named X". With `names_only` (a person or a pet) a copula
    names only a proper noun; otherwise any noun ("Painting is my passion")."""
    name = introduced(noun)
    if name is not None:
        return conjuncts(name)
    if noun.dep_ in ("compound", "appos") and noun.head.pos_ == "PROPN":
        return [noun.head]
    if noun.dep_ == "attr":  # "Emma is my sister"
        return [s for s in subjects(noun.head) if s.pos_ == "PROPN" or not names_only]
    if noun.dep_ == "nsubj" and noun.head.lemma_ == "be":  # "My sister is Emma"
        return [
            c
            for c in noun.head.children
            if c.dep_ == "attr" and (c.pos_ == "PROPN" or not names_only)
        ]
    for c in noun.children:  # "a dog named Rex"
        if c.dep_ == "acl" and c.lemma_ in NAMING_VERBS:
            return [g for g in c.children if g.dep_ in ("oprd", "dobj", "attr")]
    return []


def introduced(noun: Any) -> Any | None:
    """The name right after a relational noun: "my sister Emma" (an apposition, or a sibling
    the parser hung on the same head, as in "My girlfriend Yumi is a nurse")."""
    for c in noun.children:
        if c.dep_ == "appos" and c.pos_ in ("PROPN", "NOUN") and c.text[:1].isupper():
            return c
    nxt = noun.doc[noun.i + 1] if noun.i + 1 < len(noun.doc) else None
    if (
        nxt is not None
        and nxt.pos_ == "PROPN"
        and nxt.head == noun.head
        and nxt.dep_ in (noun.dep_, "npadvmod")  # "My teammate Chris is ..." misparsed
    ):
        return nxt
    return None


def phrase(tok: Any) -> str:
    """The name a token stands for: a title in quotes ("The Name of the Wind"), its entity
    span, or the noun with its compounds/adjectives."""
    title = quoted(tok)
    if title:
        return title
    if tok.ent_type_ and tok.ent_iob_ in ("B", "I"):
        ent = next((e for e in tok.doc.ents if e.start <= tok.i < e.end), None)
        if ent is not None and ent.label_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL"):
            lead = [
                c
                for c in tok.lefts
                if c.dep_ == "compound" and c.i < ent.start and c.text[:1].isupper()
            ]
            if ent.label_ in ("WORK_OF_ART", "EVENT") and " of " in ent.text:  # "Lord of the Rings"
                title = ent.text.replace('"', "").removeprefix("The ").removeprefix("the ")
                return title.strip(" .,'")
            kept = [t for t in ent if t.pos_ not in ("DET", "NOUN", "PRON") and t.lower_ != "'s"]
            while kept and kept[0].text[:1].islower():  # "dog Rex", "daughter Lily" -> the name
                kept = kept[1:]
            return " ".join(t.text for t in [*lead, *kept]).strip(" .,'\"")
    parts = [
        c
        for c in tok.lefts
        if c.dep_ == "compound" or c.dep_ in ("amod", "nmod") and c.i == tok.i - 1
    ]
    parts += [g for c in parts if c.dep_ == "compound" for g in c.lefts if g.dep_ == "compound"]
    words = sorted([*parts, tok], key=lambda t: t.i)
    text = " ".join(t.text for t in words)
    first = words[0]
    if first.i >= 2 and tok.doc[first.i - 1].text == "-" and tok.doc[first.i - 2].is_alpha:
        text = f"{tok.doc[first.i - 2].text}-{text}"  # "non-fiction books"
    return text if tok.pos_ == "PROPN" or tok.text[:1].isupper() else text.lower()


def default_type(allowed: list[str]) -> str:
    return "Thing" if not allowed or "Thing" in allowed else allowed[0]


# nouns that name no thing of their own: "make a difference", "take a step", "see the result"
ABSTRACT = frozenset(
    {
        *NOT_ACTIVITIES,
        *GENERIC_OBJECTS,
        "difference", "impact", "progress", "sense", "time", "way", "idea", "chance", "step",
        "note", "risk", "effort", "decision", "mistake", "point", "plan", "memory", "moment",
        "experience", "day", "week", "weekend", "month", "year", "fun", "blast", "break",
        "look", "care", "kind", "sort", "one", "some", "bunch", "ton", "deal", "result",
        "picture", "pic", "photo", "video", "money", "friend", "people", "folk", "life", "love",
        "change", "connection", "attitude", "feeling", "feedback", "help", "support", "news",
        "advice", "opportunity", "try", "go", "shot", "hand", "force", "wish", "line",
        "list", "trouble", "problem", "issue", "setback", "challenge", "goal", "dream", "hope",
        "voice", "heart", "mind", "self", "share", "joy", "peace", "place", "spot", "thought",
        "world", "confidence", "family", "recommendation", "path", "future", "community",
        "relationship", "bond", "habit", "routine", "strategy", "order", "player", "team",
        "company", "writing", "treat", "yum", "everything", "anything", "something", "base",
        "move",
    }
)  # fmt: skip
# auxiliaries that make a statement a possibility, not a fact ("we can make it", "I might go")
MODALS = frozenset(
    {"can", "could", "should", "might", "may", "must", "would", "ca", "shall", "will", "wo"}
)
# kinds of thing that need a name or a kind of their own to say which ("a fantasy book", "Dune";
# not "a book", "an awesome movie")
KINDS = frozenset(
    {
        "book", "novel", "movie", "film", "show", "series", "story", "game", "song", "food",
        "art", "content", "classic", "lesson", "class", "piece", "work", "music", "video",
        "tournament", "event", "trip", "meal", "dish", "recipe", "thing", "one", "item",
    }
)  # fmt: skip
# measure nouns a concrete object may hide behind ("all sorts of desserts")
QUANTITIES = frozenset({"sort", "kind", "lot", "bunch", "type", "variety", "couple", "ton", "pile"})
QUOTES = frozenset({'"', "\u201c", "\u201d"})
# consonant-final verbs that double it before -ing ("run" -> "running")
DOUBLING = frozenset({"run", "swim", "jog", "shop", "skip", "sit", "knit", "dig", "chat", "bet"})


def hedged(verb: Any, future: bool = True) -> bool:
    """Whether a verb (or the verb governing it) is under a modal: "we can do it", "I'd
    like to try surfing", "I should go running"; with `future`, "will" too ("I'll watch")."""
    modals = MODALS if future else MODALS - {"will", "wo"}
    node = verb
    for _ in range(4):
        if any(
            (c.dep_ == "aux" and c.lemma_.lower() in modals)
            or (c.dep_ == "advmod" and c.lower_ in ("maybe", "perhaps", "possibly"))
            for c in node.children
        ):
            return True
        if node.dep_ not in ("xcomp", "ccomp", "conj", "pcomp", "prep") or node.head is node:
            return False
        node = node.head
    return False


def quantity(tok: Any) -> Any:
    """ "all sorts of desserts" -> desserts, "a bunch of cookies" -> cookies; others as is."""
    if tok.lemma_.lower() in QUANTITIES:
        inner = [p for c in tok.children if c.dep_ == "prep" and c.lower_ == "of" for p in pobjs(c)]
        if inner:
            return inner[0]
    return tok


def concrete(tok: Any) -> bool:
    """A noun that names a thing of its own ("a pottery class", "Dune"), not an abstraction
    or a measure ("a difference", "a lot", "some time")."""
    if tok.pos_ == "PROPN" or tok.ent_type_ in ("WORK_OF_ART", "EVENT", "PRODUCT", "ORG"):
        return True
    lemma = tok.lemma_.lower()
    if tok.pos_ != "NOUN" or not tok.is_alpha or lemma in ABSTRACT:
        return False
    if any(c.dep_ == "amod" and c.lower_ in ("own", "few", "other") for c in tok.children):
        return False  # "my own path", "a few tournaments"
    return lemma not in KINDS or any(c.dep_ == "compound" for c in tok.children)


def gerund(lemma: str) -> str:
    """ "paint" -> "painting", "hike" -> "hiking", "run" -> "running", "ski" -> "skiing"."""
    if lemma in DOUBLING:
        return f"{lemma}{lemma[-1]}ing"
    if lemma.endswith("e") and not lemma.endswith("ee"):
        return f"{lemma[:-1]}ing"
    return f"{lemma}ing"


# words that name nothing in particular as any relation's object, when bare ("learn more",
# "love the way it turned out", "played a top team", "went to an event")
JUNK = frozenset(
    {
        "more", "way", "lot", "bit", "thing", "stuff", "time", "one", "part", "life", "kind",
        "sort", "everything", "anything", "something", "people", "photo", "picture", "pic",
        "idea", "feeling", "team", "event", "place", "moment", "fun", "day", "world", "future",
        "tough", "hard", "easy", "great", "good", "nice", "cool", "awesome", "amazing", "fine",
    }
)  # fmt: skip


def junk(tok: Any) -> bool:
    """An object that names nothing: a bare generic word (no compound, not a name), or a
    gerund where a place or event is meant ("go back to acting")."""
    if tok.pos_ == "PROPN" or any(c.dep_ == "compound" for c in tok.children):
        return False
    return tok.lemma_.lower() in JUNK or tok.lower_ in JUNK


def gerund_like(tok: Any) -> bool:
    """ "acting", "painting" said bare: an activity, not a place."""
    bare = not any(c.dep_ in ("det", "poss") for c in tok.children)
    return tok.tag_ == "VBG" or (bare and tok.pos_ == "NOUN" and tok.lower_.endswith("ing"))


def quoted(tok: Any) -> str | None:
    """The title a token is part of when it stands between double quotes in its sentence
    ("I loved \"Becoming Nicole\"" -> Becoming Nicole), else None."""
    sent = tok.sent
    left = next((t for t in reversed(sent[: tok.i - sent.start]) if t.text in QUOTES), None)
    right = next((t for t in sent[tok.i - sent.start + 1 :] if t.text in QUOTES), None)
    if left is None or right is None or tok.text in QUOTES:
        return None
    inner = tok.doc[left.i + 1 : right.i]
    if not 0 < len(inner) <= 8 or sum(t.text in QUOTES for t in sent[: left.i - sent.start]) % 2:
        return None
    text = inner.text.strip(" .,!?")
    return text if text[:1].isupper() else None


def proper(tok: Any) -> bool:
    """A name: a proper noun, or a token the parser recognised as part of a named entity."""
    inner = unwrap(tok)
    return inner.pos_ == "PROPN" or inner.ent_type_ in ("ORG", "GPE", "FAC", "PERSON")

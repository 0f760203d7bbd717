"""Scenario tests for the offline extractor on casual conversational English: one table row
per case of each extraction class added for conversation (idioms of liking, interests, habits,
plans, job and school changes, roles by apposition, relatives, membership, volunteering, tools,
places; activities done, things made, read and watched, events taken part in, "we" stories),
and the guards that keep chit-chat out of the graph. Offline extractor only: no store."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from graphmem.extraction.offline import OfflineExtractor

WHEN = "2023-05-08T00:00:00+00:00"

Fact = tuple[str, str, str, bool]


@cache
def _extractor() -> OfflineExtractor:
    return OfflineExtractor()


def facts(text: str, speaker: str = "Mia") -> set[Fact]:
    """The (subject, relation, object, negated) facts of one message, names casefolded (as the
    benchmark compares them: "Hiking is ..." gives "Hiking")."""
    found = _extractor().extract_text(text, speaker=speaker, occurred_at=WHEN)
    return {(r.subject, r.relation, r.object.casefold(), r.negated) for r in found.relations}


def times(text: str, speaker: str = "Mia") -> dict[str, tuple[str | None, str | None]]:
    found = _extractor().extract_text(text, speaker=speaker, occurred_at=WHEN)
    return {
        r.relation: ((r.valid_from or "")[:10] or None, (r.valid_to or "")[:10] or None)
        for r in found.relations
    }


# "class | message said by Mia | subject RELATION [NOT] object (casefolded)"
STATED_TABLE = """
like | I'm really into pottery these days. | Mia LIKES pottery
like | I'm obsessed with jazz right now. | Mia LIKES jazz
like | I'm crazy about Italian food. | Mia LIKES italian food
like | I'm really keen on gardening lately. | Mia LIKES gardening
like | I really dig vintage cars. | Mia LIKES vintage cars
like | I'm a big basketball fan. | Mia LIKES basketball
like | I loved "Becoming Nicole" by Amy Ellis Nutt. | Mia LIKES becoming nicole
dislike | Ugh, I can't stand cilantro. | Mia DISLIKES cilantro
dislike | I'm not keen on crowds. | Mia DISLIKES crowds
dislike | Honestly I'm not into horror movies. | Mia DISLIKES horror movies
dislike | I hate doing laundry. | Mia DISLIKES laundry
taste noun | Hiking is my favorite thing to do. | Mia LIKES hiking
taste noun | My favorite band is Radiohead. | Mia LIKES radiohead
taste noun | Painting has always been a passion of mine. | Mia LIKES painting
taste noun | My favorite character is Aragorn. | Mia LIKES aragorn
interest | I'm fascinated by marine biology. | Mia INTERESTED_IN marine biology
interest | I've always been curious about photography. | Mia INTERESTED_IN photography
interest | I'm passionate about animal welfare. | Mia INTERESTED_IN animal welfare
habit | I do yoga three times a week. | Mia PLAYS yoga
habit | I go running every morning before work. | Mia PLAYS running
habit | I usually go swimming on Sundays. | Mia PLAYS swimming
habit | I stopped doing yoga after I hurt my back. | Mia PLAYS NOT yoga
activity | I've been painting a lot lately. | Mia PLAYS painting
activity | I started surfing five years ago. | Mia PLAYS surfing
activity | Painting helps me explore my identity. | Mia PLAYS painting
activity | Cooking and baking are my creative outlets. | Mia PLAYS cooking
we | We went camping at the beach last week with the kids. | Mia PLAYS camping
we | Oh yeah, we went to the beach recently. | Mia VISITED beach
we | We love hiking in the mountains. | Mia LIKES hiking
we | We even had a picnic last week! | Mia PARTICIPATED_IN picnic
made | I made this bowl in my pottery class. | Mia CREATED bowl
made | I baked some cookies last night. | Mia CREATED cookies
made | I finally finished my first screenplay. | Mia CREATED first screenplay
made | I've done an abstract painting too. | Mia CREATED abstract painting
made | I've been making all sorts of desserts. | Mia CREATED desserts
read | I'm reading "Dune" by Frank Herbert. | Mia READ dune
read | I read a fantasy novel called "The Name of the Wind". | Mia READ the name of the wind
read | I'm reading a fantasy book that really captivates me. | Mia READ fantasy book
watched | I watched "Little Women" last night. | Mia WATCHED little women
watched | We saw the Perseid meteor shower. | Mia WATCHED perseid meteor shower
event | I won my first video game tournament last week! | Mia PARTICIPATED_IN video game tournament
event | I just signed up for a pottery class. | Mia PARTICIPATED_IN pottery class
event | I took a creative writing class recently. | Mia PARTICIPATED_IN writing class
event | We went on a hiking trip. | Mia PARTICIPATED_IN hiking trip
event | I ran a charity race last Saturday. | Mia PARTICIPATED_IN charity race
event | I organized a toy drive for kids in need. | Mia PARTICIPATED_IN toy drive
event | I had an interview yesterday! | Mia PARTICIPATED_IN interview
visit | Yesterday I took the kids to the museum. | Mia VISITED museum
job | I got laid off from Amazon last month. | Mia WORKS_AT NOT amazon
job | I resigned from Oracle in March. | Mia WORKS_AT NOT oracle
job | I lost my job at Door Dash. | Mia WORKS_AT NOT door dash
school | I dropped out of Boston College. | Mia STUDIES_AT NOT boston college
job | I'm a nurse at Mercy Hospital. | Mia WORKS_AT mercy hospital
job | I work as a financial analyst at Goldman Sachs. | Mia WORKS_AT goldman sachs
school | I'm a sophomore at Ohio State. | Mia STUDIES_AT ohio state
job | I've been teaching at Lincoln High for years. | Mia WORKS_AT lincoln high
role | Rex, my dog, keeps stealing my socks. | Mia HAS_PET rex
role | Oliver, my son, just turned five. | Mia PARENT_OF oliver
role | Luna, our cat, just had kittens! | Mia HAS_PET luna
role | Jake, my best friend, works at Tesla. | Jake WORKS_AT tesla
role | Tim's wife Sarah is a pediatrician. | Tim MARRIED_TO sarah
role | My roommate Jess is from Toronto. | Mia KNOWS jess
role | My neighbor Ted is so nice. | Mia KNOWS ted
member | I'm part of a book club that meets monthly. | Mia MEMBER_OF book club
member | I'm on the volleyball team at work. | Mia MEMBER_OF volleyball team
member | I sing in a church choir. | Mia MEMBER_OF church choir
member | I quit the gym in January. | Mia MEMBER_OF NOT gym
member | Just yesterday I joined a nearby church. | Mia MEMBER_OF nearby church
volunteer | I volunteer at the food bank on Saturdays. | Mia VOLUNTEERS_AT food bank
volunteer | I'm a volunteer at the Red Cross. | Mia VOLUNTEERS_AT red cross
volunteer | I'm volunteering with Habitat for Humanity. | Mia VOLUNTEERS_AT habitat for humanity
"""


def _rows(table: str) -> list[Any]:
    """One test case per table line, its id the class and the message."""
    rows = []
    for line in table.strip().splitlines():
        cls, text, fact = (part.strip() for part in line.split(" | "))
        who, relation, *rest = fact.split(" ", 2)
        negated = rest[0].startswith("NOT ")
        obj = rest[0].removeprefix("NOT ")
        rows.append(pytest.param(text, (who, relation, obj, negated), id=f"{cls}: {text}"))
    return rows


STATED = _rows(STATED_TABLE)


@pytest.mark.parametrize(("text", "fact"), STATED)
def test_states_the_fact(text: str, fact: Fact) -> None:
    assert fact in facts(text)


EXACT = [
    ("Next month I'm flying to Tokyo.", {("Mia", "PLANS_TO_VISIT", "tokyo", False)}),
    ("Last month I flew to Tokyo.", {("Mia", "VISITED", "tokyo", False)}),
    ("I'd love to go to Sweden someday.", {("Mia", "PLANS_TO_VISIT", "sweden", False)}),
    ("I can't wait to visit Sweden.", {("Mia", "PLANS_TO_VISIT", "sweden", False)}),
    ("I'm thinking about going to Sweden.", {("Mia", "PLANS_TO_VISIT", "sweden", False)}),
    (
        "My cousin Tyler lives in Atlanta.",
        {("Mia", "RELATIVE_OF", "tyler", False), ("Tyler", "LIVES_IN", "atlanta", False)},
    ),
    ("I quit the gym in January.", {("Mia", "MEMBER_OF", "gym", True)}),  # not a job
    (
        "I started volunteering at an animal shelter last month.",
        {("Mia", "VOLUNTEERS_AT", "animal shelter", False)},
    ),
    (
        "I switched from Spotify to Apple Music.",
        {("Mia", "USES", "apple music", False), ("Mia", "USES", "spotify", True)},
    ),
    ("I stopped using Facebook two years ago.", {("Mia", "USES", "facebook", True)}),
    ("The Louvre is in Paris.", {("Louvre", "LOCATED_IN", "paris", False)}),
    ("I was in Rome two weeks ago for a wedding.", {("Mia", "VISITED", "rome", False)}),
    ("I ran in the Berlin Marathon.", {("Mia", "PARTICIPATED_IN", "berlin marathon", False)}),
    ("Hiking is my favorite thing to do.", {("Mia", "LIKES", "hiking", False)}),  # no PLAYS
    ("I love to cook.", {("Mia", "LIKES", "cook", False)}),  # cooking, not a thing made
]


@pytest.mark.parametrize(("text", "expected"), EXACT, ids=[t for t, _ in EXACT])
def test_states_exactly(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


NOTHING = [
    # chit-chat and generic statements
    "Hey Nate, my favorite treat is this tart.",
    "I love that idea!",
    "People love going to the beach in the summer.",
    "A mentor can do wonders.",
    "Wow, I love that for you!",
    "I can stand in line for hours.",  # "stand" counts only negated
    "I'm doing ok, thanks.",
    "I do my homework at night.",
    "Stretching is a great tool for wellbeing.",  # a role noun needs a person and an employer
    "I lost my job last week.",
    "I got promoted at work!",
    "Kabir is in my yoga class.",  # a class is no place
    # possibilities, wishes, plans and habits make nothing and take part in nothing
    "We can make a difference together.",
    "I'd love to paint someday.",
    "I'll watch your routine!",
    "I would recommend visiting some castles.",
    "We're planning to take a trip next month.",
    "I write all my code in Vim.",
    "I haven't read it yet.",
    "Maybe I'll go back to acting someday.",
    # objects that name nothing in particular
    "I read a book.",
    "I made a lot of progress.",
    "We make a great team.",
    "I love the way it turned out!",
    "I want to learn more about it.",
    # verbs that only look like activities
    "I'm drawn to turtles.",
    "I ran into an old friend.",
    "I'm running for office.",
    "Hey John, I'm down to join the meeting.",  # an employer is a name
    'I\'m working on one with my group called "Finding Home."',
]


@pytest.mark.parametrize("text", NOTHING)
def test_states_nothing(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(
    ("text", "relation", "span"),
    [
        ("Next month I'm flying to Tokyo.", "PLANS_TO_VISIT", (None, None)),
        ("I got laid off from Amazon last month.", "WORKS_AT", (None, "2023-04-01")),
        (
            "I started volunteering at an animal shelter last month.",
            "VOLUNTEERS_AT",
            ("2023-04-01", None),
        ),
        ("I was in Rome two weeks ago for a wedding.", "VISITED", ("2023-04-24", None)),
        ("We went camping at the beach last week with the kids.", "PLAYS", ("2023-05-01", None)),
    ],
)
def test_takes_the_relative_time(
    text: str, relation: str, span: tuple[str | None, str | None]
) -> None:
    assert times(text)[relation] == span

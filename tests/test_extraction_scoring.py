"""The extraction benchmark's scorer, CoNLL04 parser and gold set (no spaCy needed)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from graphmem.extraction.models import ExtractedRelation, Extraction
from graphmem.ontology import load_ontology
from graphmem.resolve import name_key

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "extraction_bench", ROOT / "benchmarks" / "extraction_bench.py"
)
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("extraction_bench", bench)
_spec.loader.exec_module(bench)

ONTO = load_ontology()


def rel(
    s: str, r: str, o: str, negated: bool = False, valid_from: str | None = None, **kw: str
) -> dict:
    return {
        "subject": s,
        "relation": r,
        "object": o,
        "negated": negated,
        "valid_from": valid_from,
        **kw,
    }


GOLD = [
    {
        "id": "a",
        "speaker": "Maya",
        "date": "2024-05-10",
        "text": "My sister Emma lives in Rome.",
        "relations": [rel("Maya", "SIBLING_OF", "Emma"), rel("Emma", "LIVES_IN", "Rome")],
        "tags": ["possessive"],
    },
    {
        "id": "b",
        "speaker": "Maya",
        "date": "2024-05-10",
        "text": "My boss Ann joined Acme in 2021.",
        "relations": [
            rel("Maya", "REPORTS_TO", "Ann"),
            rel("Ann", "WORKS_AT", "Acme", valid_from="2021-01-01"),
        ],
        "tags": ["possessive", "temporal"],
    },
    {
        "id": "c",
        "speaker": "Tom",
        "date": "2024-05-10",
        "text": "I don't like olives.",
        "relations": [rel("Tom", "DISLIKES", "olives")],
        "tags": ["negation"],
    },
    {
        "id": "d",
        "speaker": "Tom",
        "date": "2024-05-10",
        "text": "What is machine learning?",
        "relations": [],
        "tags": ["non_memorable"],
    },
    {
        "id": "e",
        "speaker": "Tom",
        "date": "2024-05-10",
        "text": "Thanks!",
        "relations": [],
        "tags": ["non_memorable"],
    },
]


def perfect() -> list[list[dict]]:
    return [list(row["relations"]) for row in GOLD]


def test_perfect_predictions_score_one() -> None:
    result = bench.score(perfect(), GOLD, ONTO)
    assert result["overall"]["f1"] == 1.0
    assert result["overall"]["tp"] == 5
    assert result["non_memorable"]["share"] == 1.0
    assert result["temporal"]["valid_from"] == {
        "n": 1,
        "predicted": 1,
        "exact": 1,
        "year": 1,
        "accuracy": 1.0,
        "year_accuracy": 1.0,
    }
    assert bench.worst_misses(result) == []


def test_wrong_relation_lowers_precision_and_recall() -> None:
    pred = perfect()
    pred[0] = [rel("Maya", "FRIEND_OF", "Emma"), rel("Emma", "LIVES_IN", "Rome")]
    result = bench.score(pred, GOLD, ONTO)
    o = result["overall"]
    assert (o["tp"], o["fp"], o["fn"]) == (4, 1, 1)
    assert o["precision"] == pytest.approx(0.8) and o["recall"] == pytest.approx(0.8)
    assert result["per_relation"]["SIBLING_OF"]["fn"] == 1
    assert result["per_relation"]["FRIEND_OF"]["fp"] == 1
    assert result["per_tag"]["possessive"]["recall"] == pytest.approx(0.75)
    worst = bench.worst_misses(result)
    assert [d["id"] for d in worst] == ["a"]
    assert worst[0]["missed"] == ["Maya -SIBLING_OF-> Emma"]


def test_negation_polarity_matters() -> None:
    pred = perfect()
    pred[1] = [rel("Maya", "REPORTS_TO", "Ann"), rel("Ann", "WORKS_AT", "Acme", negated=True)]
    o = bench.score(pred, GOLD, ONTO)["overall"]
    assert (o["tp"], o["fp"], o["fn"]) == (4, 1, 1)


def test_symmetric_inverse_and_declared_negation_are_accepted() -> None:
    pred = perfect()
    pred[0] = [rel("emma", "SIBLING_OF", "MAYA"), rel("Emma", "LIVES_IN", "Rome!")]
    pred[1] = [
        rel("Ann", "MANAGES", "Maya"),
        rel("Ann", "WORKS_AT", "Acme", valid_from="2021-01-01T00:00:00+00:00"),
    ]
    pred[2] = [rel("Tom", "LIKES", "Olives", negated=True)]
    result = bench.score(pred, GOLD, ONTO)
    assert result["overall"]["f1"] == 1.0
    # a non-symmetric relation reversed is wrong
    pred[0] = [rel("Maya", "SIBLING_OF", "Emma"), rel("Rome", "LIVES_IN", "Emma")]
    assert bench.score(pred, GOLD, ONTO)["overall"]["f1"] < 1.0


def test_duplicates_of_one_fact_count_once() -> None:
    pred = perfect()
    pred[1] = [*pred[1], rel("Ann", "MANAGES", "Maya")]  # same fact as REPORTS_TO(Maya, Ann)
    assert bench.score(pred, GOLD, ONTO)["overall"]["fp"] == 0


def test_non_memorable_and_temporal_are_counted() -> None:
    pred = perfect()
    pred[3] = [rel("Tom", "INTERESTED_IN", "machine learning")]
    pred[1] = [
        rel("Maya", "REPORTS_TO", "Ann"),
        rel("Ann", "WORKS_AT", "Acme", valid_from="2021-06-01"),
    ]
    result = bench.score(pred, GOLD, ONTO)
    assert result["non_memorable"] == {"messages": 2, "no_relations": 1, "share": 0.5}
    assert result["overall"]["fp"] == 1 and result["overall"]["fn"] == 0
    t = result["temporal"]["valid_from"]
    assert (t["n"], t["exact"], t["year"]) == (1, 0, 1)


def test_accepts_extracted_relation_models_and_checks_lengths() -> None:
    pred = [[ExtractedRelation(**r) for r in rels] for rels in perfect()]
    assert bench.score(pred, GOLD, ONTO)["overall"]["f1"] == 1.0
    with pytest.raises(ValueError):
        bench.score(pred[:-1], GOLD, ONTO)


class FakeExtractor:
    """Knows two sentences; says nothing otherwise."""

    def extract(self, messages, *, speaker, occurred_at, existing=None):  # noqa: ANN001
        text = messages[0].content
        out = []
        if "sister Emma" in text:
            out = [ExtractedRelation(subject=speaker, relation="SIBLING_OF", object="Emma")]
        elif "olives" in text:
            out = [ExtractedRelation(subject=speaker, relation="DISLIKES", object="olives")]
        elif "machine learning" in text:
            out = [ExtractedRelation(subject=speaker, relation="LIKES", object="ML")]
        assert occurred_at.startswith("2024-05-10T")
        return Extraction(relations=out)


def test_fake_extractor_end_to_end() -> None:
    result = bench.score(bench.predict_gold(FakeExtractor(), GOLD), GOLD, ONTO)
    o = result["overall"]
    assert (o["tp"], o["fp"], o["fn"]) == (2, 1, 3)
    assert result["non_memorable"]["share"] == 0.5
    assert result["per_relation"]["WORKS_AT"]["recall"] == 0.0


CONLL_SAMPLE = """#doc 7
0\tJohn\tB-Peop\t['N']\t[0]
1\tSmith\tI-Peop\t['Work_For', 'Live_In']\t[5, 8]
2\t,\tO\t['N']\t[2]
3\tof\tO\t['N']\t[3]
4\tAcme\tB-Org\t['N']\t[4]
5\tCorp.\tI-Org\t['OrgBased_In']\t[8]
6\tin\tO\t['N']\t[6]
7\tSan\tB-Loc\t['N']\t[7]
8\tFrancisco\tI-Loc\t['N']\t[8]
9\t,\tO\t['N']\t[9]
10\tdoesn\tO\t['N']\t[10]
11\t't\tO\t['N']\t[11]
12\tlike\tO\t['N']\t[12]
13\tOswald\tB-Peop\t['Kill']\t[15]
14\t'\tO\t['N']\t[14]
15\tKennedy\tB-Peop\t['N']\t[15]
16\t.\tO\t['N']\t[16]

#doc 8
0\t`\tO\t['N']\t[0]
1\t`\tO\t['N']\t[1]
2\tHi\tO\t['N']\t[2]
3\t'\tO\t['N']\t[3]
4\t'\tO\t['N']\t[4]
5\t(\tO\t['N']\t[5]
6\tParis\tB-Loc\t['N']\t[6]
7\t)\tO\t['N']\t[7]
"""


def test_parse_conll_reads_entities_and_relations() -> None:
    docs = bench.parse_conll(CONLL_SAMPLE)
    assert [d["id"] for d in docs] == ["7", "8"]
    d = docs[0]
    assert [(e["text"], e["type"]) for e in d["entities"]] == [
        ("John Smith", "Peop"),
        ("Acme Corp.", "Org"),
        ("San Francisco", "Loc"),
        ("Oswald", "Peop"),
        ("Kennedy", "Peop"),
    ]
    assert d["relations"] == [
        {"subject": 0, "relation": "Work_For", "object": 1},
        {"subject": 0, "relation": "Live_In", "object": 2},
        {"subject": 1, "relation": "OrgBased_In", "object": 2},
        {"subject": 3, "relation": "Kill", "object": 4},
    ]
    assert d["text"] == (
        "John Smith, of Acme Corp. in San Francisco, doesn't like Oswald' Kennedy."
    )
    assert docs[1]["text"] == '"Hi" (Paris)'
    gold, unsupported = bench.conll_gold(d)
    assert gold == [
        ("John Smith", "WORKS_AT", "Acme Corp."),
        ("John Smith", "LIVES_IN", "San Francisco"),
        ("Acme Corp.", "LOCATED_IN", "San Francisco"),
    ]
    assert unsupported == 1


def test_parse_conll_rejects_relation_not_on_entity_end() -> None:
    bad = (
        "#doc 1\n0\tJohn\tB-Peop\t['N']\t[0]\n1\tSmith\tI-Peop\t['N']\t[1]\n"
        "2\tAcme\tB-Org\t['N']\t[2]\n"
    )
    bad = bad.replace("0\tJohn\tB-Peop\t['N']\t[0]", "0\tJohn\tB-Peop\t['Work_For']\t[2]")
    with pytest.raises(ValueError):
        bench.parse_conll(bad)


def test_score_conll_lenient_names_and_unjudged_types() -> None:
    docs = bench.parse_conll(CONLL_SAMPLE)[:1]
    pred = [
        [
            rel("Smith", "WORKS_AT", "Acme Corp"),  # whole-word span: match
            rel("John Smith", "LIVES_IN", "Francisco Bay"),  # neither contains the other
            rel("Acme", "LOCATED_IN", "San Francisco"),  # span: match
            rel("John Smith", "KNOWS", "Oswald"),
        ]
    ]  # type not annotated: ignored
    result = bench.score_conll(pred, docs)
    o = result["overall"]
    assert (o["tp"], o["fp"], o["fn"]) == (2, 1, 1)
    assert result["per_relation"]["LIVES_IN"]["recall"] == 0.0
    assert result["unsupported_kill"] == 1
    assert not bench.names_match("Smithson", "John Smith")


# -- the gold set itself -------------------------------------------------------------------------


def _check_gold(rows: list[dict], min_rows: int, future_starts: bool = False) -> None:
    """Ids unique, relations in the ontology, names taken from the text (or the speaker),
    times as dates not after the message (a start may be, with `future_starts`: a plan)."""
    assert len(rows) >= min_rows
    assert len({r["id"] for r in rows}) == len(rows)
    names = {r.name for r in ONTO.relation_types}
    assert {x["relation"] for r in rows for x in r["relations"]} <= names
    nm = [r for r in rows if "non_memorable" in r["tags"]]
    assert len(nm) >= 35 and all(not r["relations"] for r in nm)
    for r in rows:
        text = name_key(r["text"])
        for x in r["relations"]:
            assert set(x) <= {
                "subject",
                "relation",
                "object",
                "negated",
                "valid_from",
                "valid_to",
            }, r["id"]
            for name in (x["subject"], x["object"]):
                assert name == r["speaker"] or f" {name_key(name)} " in f" {text} ", (r["id"], name)
            for field in ("valid_from", "valid_to"):
                if x.get(field):
                    assert len(x[field]) == 10, (r["id"], field)
                    future_ok = future_starts and field == "valid_from"
                    assert future_ok or x[field] <= r["date"], (r["id"], field)
        if r["relations"]:
            assert "non_memorable" not in r["tags"]
            json.dumps(r)


def test_gold_set_is_well_formed() -> None:
    _check_gold(bench.load_gold(bench.GOLD), 170)


def test_conversational_gold_set_is_well_formed() -> None:
    rows = bench.load_gold(bench.CONVERSATIONAL)
    _check_gold(rows, 150, future_starts=True)
    assert {r["id"] for r in rows} == {f"c{n:03d}" for n in range(1, len(rows) + 1)}
    share = sum("non_memorable" in r["tags"] for r in rows) / len(rows)
    assert 0.15 <= share <= 0.25  # about a fifth is chit-chat


def test_every_relation_has_gold_examples() -> None:
    """Each relation type has at least 3 examples over the two gold sets."""
    rows = [*bench.load_gold(bench.GOLD), *bench.load_gold(bench.CONVERSATIONAL)]
    counts = Counter(x["relation"] for r in rows for x in r["relations"])
    names = {r.name for r in ONTO.relation_types}
    assert all(counts[n] >= 3 for n in names), {n: counts[n] for n in names if counts[n] < 3}

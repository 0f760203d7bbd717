"""Unit tests of pure logic: names, ontology, scopes, filters, times, messages, statements."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmem import ConfigError, InvalidNameError, MemoryConfig, ScopeError, ValidationError
from graphmem.filters import matches, validate
from graphmem.messages import metadata_json, normalize_messages
from graphmem.ontology import load_ontology, relation_type_name
from graphmem.reconcile import decide
from graphmem.resolve import name_key
from graphmem.scope import Scope
from graphmem.store.queries import Statement, load
from graphmem.times import from_store, to_iso


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("works at", "WORKS_AT"),
        ("WORKS_AT", "WORKS_AT"),
        ("  lives   in ", "LIVES_IN"),
        ("plays_with2", "PLAYS_WITH2"),
    ],
)
def test_relation_names_are_normalized(raw: str, expected: str) -> None:
    assert relation_type_name(raw) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "  ",
        "1X",
        "a-b",
        "A]->(b) DELETE b",
        "KNOWS`",
        "X" * 65,
        "über",
        "A:B",
        "A;B",
    ],
)
def test_unsafe_relation_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidNameError):
        relation_type_name(bad)


def test_default_ontology_declares_rules() -> None:
    onto = load_ontology()
    assert onto.relation("lives in").cardinality == "one"
    assert onto.relation("LIKES").contradicts == ["DISLIKES"]
    assert onto.relation("brand new thing").name == "BRAND_NEW_THING"  # open world, checked
    assert onto.entity_label("person") == "Person"
    for bad in ("Entity", "Episode", "Person:Admin", "a b"):
        with pytest.raises(InvalidNameError):
            onto.entity_label(bad)


def test_invalid_ontology_names_the_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "o.yaml"
    bad.write_text(
        "entity_types: [{name: Person}]\n"
        "relation_types:\n"
        "  - {name: KNOWS, subject: [Person], object: [Robot]}\n"
    )
    with pytest.raises(ConfigError, match="KNOWS: unknown entity type 'Robot'"):
        load_ontology(bad)
    bad.write_text(
        "entity_types: [{name: Person}]\nrelation_types: [{name: KNOWS, cardinality: 3}]\n"
    )
    with pytest.raises(ConfigError, match=r"relation_types\.0\.cardinality"):
        load_ontology(bad)


def test_scope_owner_and_validation() -> None:
    assert Scope.of(user_id="a", run_id="r").owner == "user:a"
    assert Scope.of(agent_id="a").owner == "agent:a"
    assert Scope.of(run_id="a").owner == "run:a"
    with pytest.raises(ScopeError):
        Scope.of()
    with pytest.raises(ScopeError):
        Scope.of(user_id="")
    with pytest.raises(ScopeError):
        Scope.of(user_id="a\nb")


def test_name_key_folds_case_punctuation_and_space() -> None:
    assert name_key("  ALICE   Smith. ") == name_key("alice smith")
    assert name_key("Zoë") == name_key("ZOË")
    assert name_key("Acme") != name_key("Acme Corp")


def test_reconcile_rules() -> None:
    onto = load_ontology()
    lives_in, likes, dislikes = (onto.relation(n) for n in ("LIVES_IN", "LIKES", "DISLIKES"))

    def fact(other: str, kind: str = "same", **extra: object) -> dict[str, object]:
        return {
            "id": f"m-{other}",
            "other_id": other,
            "kind": kind,
            "valid_from": None,
            "immutable": False,
            **extra,
        }

    paris = fact("paris", valid_from="2020-01-01")
    assert decide(lives_in, "paris", [paris], start=None).event == "NOOP"
    update = decide(lives_in, "rome", [paris], start="2024-01-01")
    assert update.event == "UPDATE" and update.existing == paris and update.close == [paris]
    late = decide(lives_in, "rome", [paris], start="2019-05-01")  # older than the current one
    assert late.event == "ADD" and late.historical and late.existing == paris and not late.close
    assert decide(lives_in, "rome", [paris], start=None).event == "UPDATE"  # undated: newer
    assert decide(likes, "rome", [fact("paris")], start=None).event == "ADD"  # many
    assert decide(lives_in, "rome", [], start=None).event == "ADD"
    liked = fact("cheese", "contradicts")
    switch = decide(dislikes, "cheese", [liked], start=None)
    assert switch.event == "UPDATE" and switch.existing == liked
    assert decide(dislikes, "bread", [liked], start=None).event == "ADD"
    gone = decide(lives_in, "paris", [paris], start=None, negated=True)
    assert gone.event == "DELETE" and gone.close == [paris]
    assert decide(lives_in, "oslo", [paris], start=None, negated=True).event == "NONE"
    fixed = fact("paris", immutable=True)
    vetoed = decide(lives_in, "rome", [fixed], start=None)
    assert vetoed.event == "NONE" and vetoed.reason == "immutable"
    assert decide(lives_in, "paris", [fixed], start=None, negated=True).event == "NONE"
    named = decide(likes, "tea", [fact("coffee")], start=None, replaces="m-coffee")
    assert named.event == "UPDATE" and named.existing["id"] == "m-coffee"  # type: ignore[index]


def test_filters() -> None:
    rec = {
        "relationship": "LIKES",
        "target": "Sushi",
        "created_at": "2025-01-02",
        "metadata": {"topic": "food", "score": 3},
    }
    assert matches({"topic": "food"}, rec)
    assert matches({"AND": [{"score": {"gte": 3}}, {"target": {"icontains": "sus"}}]}, rec)
    assert not matches({"NOT": {"relationship": "LIKES"}}, rec)
    assert matches({"created_at": {"gt": "2025-01-01", "lt": "2025-02-01"}}, rec)
    assert not matches({"score": {"gt": "x"}}, rec)  # incomparable types never match
    assert not matches({"missing": {"ne": None}}, rec)
    for bad in ({}, {"OR": []}, {"topic": {"regex": "x"}}, {"topic": {"in": "food"}}, []):
        with pytest.raises(ValidationError):
            validate(bad)


def test_times() -> None:
    assert to_iso("2024-05-01") == "2024-05-01T00:00:00+00:00"
    assert to_iso("2024-05-01T12:00:00+02:00") == "2024-05-01T10:00:00+00:00"
    assert to_iso(0) == "1970-01-01T00:00:00+00:00"
    for bad in ("soon", True, object()):
        with pytest.raises(ValidationError):
            to_iso(bad)


def test_messages() -> None:
    assert [m.role for m in normalize_messages("hi")] == ["user"]
    msgs = normalize_messages([{"role": "assistant", "content": " ok ", "name": "bot"}])
    assert msgs[0].content == "ok" and msgs[0].name == "bot"
    for bad in (None, 3, [], [{"role": "user"}], [{"content": "  "}], ["text"]):
        with pytest.raises(ValidationError):
            normalize_messages(bad)
    assert metadata_json({"b": 1, "a": [1]}) == '{"a": [1], "b": 1}'
    with pytest.raises(ValidationError):
        metadata_json(["not", "a", "dict"])


def test_statement_placeholders_take_only_checked_names() -> None:
    q = Statement("t", "MATCH (a:__LABEL__)-[r:__TYPE__]->() RETURN r", frozenset({"x"}))
    assert (
        q.render(rel_type="WORKS_AT", label="Person")
        == "MATCH (a:Person)-[r:WORKS_AT]->() RETURN r"
    )
    for bad_type in ("X]->() DELETE a //", None, "lower"):
        with pytest.raises(InvalidNameError):
            q.render(rel_type=bad_type, label="Person")
    with pytest.raises(InvalidNameError):
        q.render(rel_type="OK", label="Person {x: 1}")
    with pytest.raises(TypeError, match="missing params"):
        q.check_params({})
    with pytest.raises(TypeError, match="unexpected"):
        q.check_params({"x": 1, "y": 2})
    assert load("fact_create").params >= {"memory_id", "version", "episode_ids"}


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="store.heap"):
        MemoryConfig.from_dict({"store": {"heap": "lots"}})
    with pytest.raises(ConfigError, match="nonsense"):
        MemoryConfig.from_dict({"nonsense": 1})
    env = MemoryConfig.from_env({"NEO4J_URI": "bolt://db:7687", "NEO4J_PASSWORD": "pw"})
    assert env.store.uri == "bolt://db:7687" and env.store.password.get_secret_value() == "pw"
    assert MemoryConfig.from_env({}).store.uri is None  # embedded by default
    file = tmp_path / "c.yaml"
    file.write_text("embedder: {provider: hashing, dimensions: 32}\n")
    assert MemoryConfig.from_file(file).embedder.dimensions == 32


def test_an_ontology_can_extend_the_default(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "extends: default\n"
        "entity_types: [{name: Instrument}]\n"
        "relation_types:\n"
        "  - {name: PLAYS_INSTRUMENT, subject: [Person], object: [Instrument],\n"
        "     triggers: [{verb: strum}]}\n"
        "  - {name: LIVES_IN, subject: [Person], object: [Place], cardinality: many}\n"
    )
    onto = load_ontology(extra)
    assert onto.relation("PLAYS_INSTRUMENT").object == ["Instrument"]
    assert onto.relation("LIVES_IN").cardinality == "many"  # replaced
    assert onto.relation("WORKS_AT").cardinality == "one"  # kept from the default
    extra.write_text("extends: default\nrelation_types: [{name: X, object: [Robot]}]\n")
    with pytest.raises(ConfigError, match="unknown entity type 'Robot'"):
        load_ontology(extra)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-02T00:00Z",
        "2024-01-02T00:00:05Z",
        "2024-01-02T00:00:05.250Z",
        "2024-01-02T00:00:05.000Z",
        "2024-01-02T00:00:05.123456789Z",
        "2024-01-02T03:04:05.5+02:00",
    ],
)
def test_times_read_back_as_text_match_what_was_written(text: str) -> None:
    """Statements return times as Cypher text; reads must give the form writes compare with."""
    written = to_iso(text.replace("123456789", "123456"))
    assert from_store(text) == written

"""Categories: the ontology's default taxonomy, a taxonomy of the config or of one `add`, the
LLM's own categories (in its one call), stored as data, selected by `filters` in `get_all` and
`search`. REST's `custom_categories` is in test_server_rest.py, MCP's `get_memories` category
in test_server_mcp.py, the CLI's `add --categories` in test_cli.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.categories import assign, taxonomy
from graphmem.errors import ConfigError, ValidationError
from graphmem.ontology import load_ontology

from .openai_stub import completion, openai_server

ONTOLOGY = load_ontology()
IDA = {"role": "user", "name": "Ida"}


def _categories(memory: Memory, user: str, **filters: Any) -> dict[str, list[str]]:
    page = memory.get_all(user_id=user, **filters)["results"]
    return {f["memory"]: f["categories"] for f in page}


def test_every_fact_gets_categories_of_the_default_taxonomy(memory: Memory, user: str) -> None:
    memory.add({**IDA, "content": "I work at Acme. My sister Emma lives in Oslo."}, user_id=user)
    memory.add_relation("Ida", "ALLERGIC_TO", "peanuts", user_id=user)
    memory.add_relation("Ida", "LIKES", "ramen", user_id=user, object_type="Food")
    memory.add_relation("Ida", "COLLECTS", "stamps", user_id=user)  # no mapping: misc
    assert _categories(memory, user) == {
        "Ida works at Acme": ["work"],
        "Ida is a sibling of Emma": ["family"],
        "Emma lives in Oslo": ["personal_details"],
        "Ida is allergic to peanuts": ["health", "food"],  # its object is typed Food
        "Ida likes ramen": ["preferences", "food"],
        "Ida collects stamps": ["misc"],
    }
    assert set(ONTOLOGY.taxonomy()) == {
        "personal_details", "family", "work", "education", "health", "food", "travel",
        "hobbies", "sports", "entertainment", "technology", "preferences", "milestones", "misc",
    }  # fmt: skip


def test_categories_are_data_never_labels_or_types(
    memory: Memory, user: str, raw_session: Any
) -> None:
    memory.add(
        {**IDA, "content": "I love jazz."}, user_id=user, custom_categories={"Music": "songs"}
    )
    memory.add(
        {**IDA, "content": "I love opera."}, user_id=user, custom_categories={"X`) DETACH": "?"}
    )
    rows = raw_session.run(
        "MATCH (:Entity)-[r]->(:Entity) WHERE r.user_id = $u RETURN type(r) AS t, r.categories "
        "AS c ORDER BY r.fact",
        u=user,
    ).data()
    assert rows == [{"t": "LIKES", "c": []}, {"t": "LIKES", "c": []}]  # neither taxonomy maps
    labels = raw_session.run("CALL db.labels() YIELD label RETURN collect(label) AS l").single()
    assert "Music" not in labels["l"] and "music" not in labels["l"]


def test_filters_select_by_category_in_get_all_and_search(memory: Memory, user: str) -> None:
    memory.add({**IDA, "content": "I work at Acme. I live in Lima. I love tennis."}, user_id=user)
    memory.add_relation("Ida", "VISITED", "Rome", user_id=user)
    assert list(_categories(memory, user, filters={"categories": "work"})) == ["Ida works at Acme"]
    both = _categories(memory, user, filters={"categories": {"in": ["travel", "work"]}})
    assert sorted(both) == ["Ida visited Rome", "Ida works at Acme"]
    rest = _categories(memory, user, filters={"categories": {"ne": "work"}})
    assert "Ida works at Acme" not in rest and len(rest) == 3
    found = memory.search("Where has Ida been?", user_id=user, filters={"categories": "travel"})
    assert [r["memory"] for r in found["results"] if r.get("relationship")] == ["Ida visited Rome"]
    with pytest.raises(ValidationError, match="unknown operator"):
        memory.get_all(user_id=user, filters={"categories": {"has": "work"}})


def test_one_add_replaces_the_taxonomy_and_bad_ones_write_nothing(
    memory: Memory, user: str
) -> None:
    mine = {"work": "jobs", "misc": "the rest"}
    out = memory.add(
        {**IDA, "content": "I work at Acme. I love chess."}, user_id=user, custom_categories=mine
    )
    assert {e["memory"]: e["categories"] for e in out["results"]} == {
        "Ida works at Acme": ["work"],
        "Ida likes chess": ["misc"],  # preferences is not in this taxonomy
    }
    for bad in ({}, {"": "x"}, {"a": 3}, ["work"], {"x" * 65: ""}):
        with pytest.raises(ValidationError, match="custom_categories"):
            memory.add({**IDA, "content": "I love golf."}, user_id=user, custom_categories=bad)
    assert "Ida likes golf" not in _categories(memory, user)
    done = memory.add_many(
        [
            {
                "messages": {**IDA, "content": "I love golf."},
                "user_id": user,
                "custom_categories": {"sport": "games"},
            }
        ]  # fmt: skip
    )
    assert done[0]["results"][0]["categories"] == []


def test_the_config_taxonomy_replaces_the_ontology_s(config: dict[str, Any], user: str) -> None:
    with Memory({**config, "categories": {"family": "kin", "misc": "else"}}) as m:
        m.add({**IDA, "content": "I work at Acme. My sister Emma lives in Oslo."}, user_id=user)
        got = _categories(m, user)
        m.delete_all(user_id=user)
    assert got == {
        "Ida works at Acme": ["misc"],
        "Ida is a sibling of Emma": ["family"],
        "Emma lives in Oslo": ["misc"],
    }
    with pytest.raises(ConfigError, match="categories"):
        Memory({**config, "categories": {"": "nameless"}})


def test_an_update_keeps_categories_unless_the_relation_changes(memory: Memory, user: str) -> None:
    mine = {"music": "songs", "misc": "the rest"}
    made = memory.add({**IDA, "content": "I love jazz."}, user_id=user, custom_categories=mine)
    memory_id = made["results"][0]["id"]
    memory.update(memory_id, "blues")
    assert memory.get(memory_id)["categories"] == ["misc"]  # kept from that add's taxonomy
    made = memory.add_relation("Ida", "LIKES", "opera", user_id=user, object_type="Topic")
    moved = made["results"][0]["id"]
    memory.update(moved, {"relation": "DISLIKES"})
    assert memory.get(moved)["categories"] == ["preferences"]
    memory.update(moved, {"relation": "VISITED", "object": "Rome"})
    assert memory.get(moved)["categories"] == ["travel"]


def test_export_and_import_carry_categories(memory: Memory, user: str) -> None:
    memory.add_relation("Ida", "WORKS_AT", "Acme", user_id=user)
    document = memory.export(user_id=user, include_embeddings=False)
    assert [r["properties"]["categories"] for r in document["relationships"]] == [["work"]]
    memory.delete_all(user_id=user)
    memory.import_(document)
    assert _categories(memory, user) == {"Ida works at Acme": ["work"]}


def test_the_llm_assigns_categories_in_its_one_call(config: dict[str, Any], user: str) -> None:
    relation = {"subject": "Ida", "relation": "LIKES", "object": "ramen", "event": "ADD"}
    replies = iter(
        [
            {"relations": [{**relation, "categories": ["food", "made-up", "food"]}]},
            {"relations": [{**relation, "object": "jazz", "categories": ["music"]}]},
            {"relations": [{**relation, "object": "tea"}]},  # none given: the ontology's
        ]
    )

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, completion(json.dumps({"entities": [], **next(replies)}))

    llm = {"model": "scripted", "api_key": "k"}
    with (
        openai_server(respond) as (base_url, received),
        Memory({**config, "extractor": "llm", "llm": {**llm, "base_url": base_url}}) as m,
    ):
        first = m.add({**IDA, "content": "Ramen is the best."}, user_id=user)
        second = m.add(
            {**IDA, "content": "Jazz!"}, user_id=user, custom_categories={"music": "songs"}
        )
        third = m.add({**IDA, "content": "Tea."}, user_id=user)
        m.delete_all(user_id=user)
    assert len(received) == 3  # one call per add
    assert first["results"][0]["categories"] == ["food"]
    assert second["results"][0]["categories"] == ["music"]
    assert third["results"][0]["categories"] == ["preferences", "food"]  # LIKES, a Food
    system = [r["body"]["messages"][0]["content"] for r in received]
    assert "- food: dishes, drinks, cuisines, eating habits" in system[0]
    assert "- music: songs" in system[1] and "- food:" not in system[1]


@given(
    names=st.dictionaries(
        st.text(min_size=1, max_size=10).filter(str.strip),
        st.text(max_size=20),
        min_size=1,
        max_size=8,
    ),  # fmt: skip
    proposed=st.lists(st.text(max_size=10), max_size=4),
    relation=st.sampled_from([r.name for r in ONTOLOGY.relation_types] + ["COLLECTS"]),
    object_type=st.sampled_from([e.name for e in ONTOLOGY.entity_types] + [None]),
)
def test_a_fact_s_categories_always_come_from_the_taxonomy(
    names: dict[str, str], proposed: list[str], relation: str, object_type: str | None
) -> None:
    checked = taxonomy(names)
    mapped = ONTOLOGY.categories_of(ONTOLOGY.relation(relation), object_type)
    got = assign(mapped, checked, proposed)
    assert set(got) <= set(checked) and len(set(got)) == len(got)
    assert bool(got) or "misc" not in checked  # misc, when there, catches the rest

"""`Memory.add` with the LLM extractor: one chat call per add through the real `openai`
client against a scripted local server, existing facts in the request, nothing written on
failure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphmem import Memory
from graphmem.effects import query
from graphmem.errors import ExtractionError

from .openai_stub import completion, openai_server


def _llm_memory(config: dict[str, Any], base_url: str) -> Memory:
    return Memory(
        {
            **config,
            "extractor": "llm",
            "llm": {"model": "scripted", "base_url": base_url, "api_key": "k"},
        }
    )


def test_one_call_per_add_with_existing_facts(server: Memory, config: dict, user: str) -> None:
    replies = iter(
        [
            {
                "entities": [],
                "relations": [
                    {"subject": "Maya", "relation": "WORKS_AT", "object": "Acme", "event": "ADD"}
                ],
            },
            None,  # filled below with the memory id the first add created
        ]
    )
    state: dict[str, Any] = {}

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        reply = next(replies) or {
            "entities": [],
            "relations": [
                {
                    "subject": "Maya",
                    "relation": "WORKS_AT",
                    "object": "Globex",
                    "event": "UPDATE",
                    "memory_id": state["mid"],
                }
            ],
        }
        return 200, completion(json.dumps(reply))

    with openai_server(respond) as (base_url, received), _llm_memory(config, base_url) as m:
        first = m.add({"role": "user", "content": "I work at Acme.", "name": "Maya"}, user_id=user)
        state["mid"] = first["results"][0]["id"]
        assert len(received) == 1
        second = m.add(
            {"role": "user", "content": "I switched to Globex.", "name": "Maya"}, user_id=user
        )
        assert len(received) == 2  # exactly one chat call per add
        request = json.dumps(received[1]["body"]["messages"])
        assert state["mid"] in request and "Maya works at Acme" in request  # existing facts
        assert "I switched to Globex." in request
        event = second["results"][0]
        assert (event["event"], event["id"], event["version"]) == ("UPDATE", state["mid"], 2)
        assert [h["event"] for h in m.history(state["mid"])] == ["ADD", "UPDATE"]


def test_malformed_output_is_repaired_once_then_fails_with_nothing_written(
    server: Memory, config: dict, user: str
) -> None:
    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, completion("this is not json")

    with openai_server(respond) as (base_url, received), _llm_memory(config, base_url) as m:
        with pytest.raises(ExtractionError):
            m.add({"role": "user", "content": "I live in Oslo.", "name": "Maya"}, user_id=user)
        assert len(received) == 2  # the call and one repair
        assert m.get_all(user_id=user)["results"] == []
        rows = m.store.read(query("episode_find", id="none", owner=f"user:{user}"))
        assert rows == []
        assert m.delete_all(user_id=user)["deleted"]["episodes"] == 0  # no episode either


def test_the_rules_veto_impossible_llm_operations(server: Memory, config: dict, user: str) -> None:
    other = f"{user}-other"
    theirs = server.add_relation("Maya", "LIKES", "tea", user_id=other)["results"][0]
    mine = server.add_relation("Maya", "LIVES_IN", "Oslo", user_id=user, immutable=True)
    coffee = {"subject": "Maya", "relation": "LIKES", "object": "coffee", "event": "ADD"}
    oslo = {
        "subject": "Maya",
        "relation": "LIVES_IN",
        "object": "Oslo",
        "event": "DELETE",
        "memory_id": mine["results"][0]["id"],
    }
    replies = iter(
        [
            # First "update" another user's memory (not among the facts it was shown): the
            # extractor asks for a repair. Then delete an immutable memory: the rules refuse.
            {
                "entities": [],
                "relations": [{**coffee, "event": "UPDATE", "memory_id": theirs["id"]}, oslo],
            },
            {"entities": [], "relations": [coffee, oslo]},
        ]
    )

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, completion(json.dumps(next(replies)))

    with openai_server(respond) as (base_url, received), _llm_memory(config, base_url) as m:
        out = m.add({"role": "user", "content": "I prefer coffee.", "name": "Maya"}, user_id=user)
    assert len(received) == 2 and theirs["id"] in json.dumps(received[1]["body"])  # the repair
    events = [(e["event"], e["memory"]) for e in out["results"]]
    assert events == [("ADD", "Maya likes coffee"), ("NONE", "Maya lives in Oslo")]
    assert out["results"][0]["id"] != theirs["id"]  # a new memory of this user, not theirs
    assert server.get(theirs["id"])["memory"] == "Maya likes tea"  # untouched
    assert server.get(theirs["id"])["status"] == "current"
    assert {f["memory"] for f in server.get_all(user_id=user)["results"]} == {
        "Maya likes coffee",
        "Maya lives in Oslo",  # immutable: only an explicit delete() may close it
    }
    server.delete_all(user_id=other)

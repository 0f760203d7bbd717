"""Developer experience through the public API, against the real embedded store: AsyncMemory
under concurrency, configuration, bulk ingest (JSONL and LoCoMo), agent tools (with the real
`openai` client against a scripted server) and the PNG picture."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import neo4j
import openai
import pytest
import yaml

from graphmem import ConfigError, Memory, MemoryConfig, ValidationError
from graphmem.memory import AsyncMemory
from graphmem.tools import MemoryTools, run_openai_turn

from .openai_stub import openai_server

THINGS = [
    "tea",
    "chess",
    "jazz",
    "hiking",
    "sushi",
    "poetry",
    "tennis",
    "opera",
    "kayaks",
    "origami",
]
LOCOMO = Path("/work/shared/data/locomo/locomo_dev.json")

# -- AsyncMemory ----------------------------------------------------------------------------------


def test_async_memory_concurrent_adds_and_searches_never_mix(config: dict, user: str) -> None:
    users = [f"{user}-{i}" for i in range(5)]

    async def main() -> dict[str, Any]:
        async with AsyncMemory(config) as m:
            assert isinstance(m.astore.driver, neo4j.AsyncDriver)

            def no_sync(*args: Any, **kwargs: Any) -> Any:
                raise AssertionError("the blocking driver was used by an AsyncMemory call")

            m.store.read = no_sync  # type: ignore[method-assign]
            m.store.write = no_sync  # type: ignore[method-assign]
            jobs: list[tuple[str, Any]] = []
            for u in users:
                for thing in THINGS:
                    jobs.append((u, m.add_relation(f"Owner {u}", "LIKES", thing, user_id=u)))
                    jobs.append((u, m.search(f"what does Owner {u} like", user_id=u)))
            random.Random(7).shuffle(jobs)
            results = await asyncio.gather(*(job for _, job in jobs))
            for (u, _), r in zip(jobs, results, strict=True):
                for f in r["results"]:  # an add's event, or a search hit: this user's only
                    assert f.get("user_id") in (u, None) and f["source"] == f"Owner {u}"
            final = {u: (await m.get_all(user_id=u))["results"] for u in users}
            searched = await m.search("which things are liked", user_id=users[0], limit=50)
            return {"final": final, "searched": searched}

    out = asyncio.run(main())
    for u in users:
        facts = out["final"][u]
        assert sorted(f["target"] for f in facts) == sorted(THINGS)  # none lost
        assert {f["user_id"] for f in facts} == {u}
    assert out["searched"]["results"]
    assert all(r.get("user_id") in (users[0], None) for r in out["searched"]["results"])


def test_async_ingest_and_export(config: dict, user: str, tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    path.write_text(
        json.dumps({"user_id": user, "content": "I work at Acme.", "name": "Ida"}) + "\n"
    )

    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        async with AsyncMemory(config) as m:
            summary = await m.ingest(path, progress=False)
            return summary, await m.export(user_id=user)

    summary, doc = asyncio.run(main())
    assert summary["stored"] == 1 and summary["events"]["ADD"] == 1
    assert any(r["type"] == "WORKS_AT" for r in doc["relationships"])


# -- configuration ---------------------------------------------------------------------------------


def test_config_errors_name_the_key_and_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"store\.urii"):
        MemoryConfig.from_dict({"store": {"urii": "bolt://x"}})
    with pytest.raises(ConfigError, match=r"embedder\.provider"):
        MemoryConfig.from_dict({"embedder": {"provider": "word2vec"}})
    with pytest.raises(ConfigError, match=r"retrieval"):
        MemoryConfig.from_dict({"retrieval": {"limit": 5}})
    bad = tmp_path / "bad.yaml"
    bad.write_text("store:\n  heap: lots\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*store\.heap"):
        MemoryConfig.from_file(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="broken.json"):
        MemoryConfig.from_file(broken)
    with pytest.raises(ConfigError, match="GRAPHMEM_EMBEDDER"):
        MemoryConfig.from_env({"GRAPHMEM_EMBEDDER": "word2vec"})


def test_config_from_env_file_and_masked_view(tmp_path: Path, config: dict, server: Any) -> None:
    env = MemoryConfig.from_env(
        {
            "NEO4J_URI": "bolt://neo4j:hunter2@db:7687",
            "NEO4J_PASSWORD": "s3cret",
            "GRAPHMEM_EXTRACTOR": "llm",
            "OPENAI_API_KEY": "sk-live",
        }
    )
    shown = env.effective()
    text = json.dumps(shown)
    assert "s3cret" not in text and "sk-live" not in text and "hunter2" not in text
    assert shown["store"]["uri"] == "bolt://neo4j:**********@db:7687"
    assert shown["extractor"] == "llm" and shown["llm"]["api_key"] == "**********"

    path = tmp_path / "graphmem.yaml"
    path.write_text(yaml.safe_dump(config))
    with Memory.from_config_file(path) as m:
        assert m.config.embedder.provider == "hashing"
    jpath = tmp_path / "graphmem.json"
    jpath.write_text(json.dumps(config))
    assert MemoryConfig.from_file(jpath) == MemoryConfig.from_dict(config)


# -- ingest ----------------------------------------------------------------------------------------


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_ingest_jsonl_is_resumable_and_counts_events(
    memory: Memory, user: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = user + "-b"
    rows = [
        {"user_id": user, "run_id": "s1", "name": "Ida", "content": "I work at Acme.",
         "timestamp": "2024-01-05T10:00:00Z", "metadata": {"line": 1}},
        {"user_id": user, "run_id": "s1", "name": "Ida", "content": "Thanks!",
         "timestamp": "2024-01-05T10:00:00Z"},
        {"user_id": user, "run_id": "s1", "name": "Ida", "content": "Thanks!",
         "timestamp": "2024-01-05T10:00:00Z"},
        {"user_id": user, "run_id": "s1", "name": "Ida", "content": "I work at Globex now.",
         "timestamp": "2024-06-01T10:00:00Z"},
        {"user_id": other, "role": "user", "speaker": "Bo", "text": "I live in Oslo.",
         "timestamp": "2024-02-01T09:00:00Z"},
    ]  # fmt: skip
    path = _jsonl(tmp_path / "chat.jsonl", rows)

    partial = memory.ingest(path, limit=2, progress=True)  # interrupted after two messages
    assert partial["stored"] == 2
    assert "ingest" in capsys.readouterr().err  # the progress bar

    summary = memory.ingest(path, batch_size=2, progress=False)
    assert (summary["messages"], summary["stored"], summary["skipped"]) == (5, 3, 2)
    assert summary["users"] == 2 and summary["scopes"] == 2
    assert summary["events"]["ADD"] >= 1 and summary["events"]["UPDATE"] == 1
    again = memory.ingest(path, progress=False)
    assert (again["stored"], again["skipped"]) == (0, 5)  # nothing stored twice

    facts = {(f["source"], f["relationship"], f["target"]) for f in
             memory.get_all(user_id=user)["results"]}  # fmt: skip
    assert ("Ida", "WORKS_AT", "Globex") in facts
    assert {f["target"] for f in memory.get_all(user_id=other)["results"]} == {"Oslo"}
    episodes = [n for n in memory.export(user_id=user)["nodes"] if n["labels"] == ["Episode"]]
    assert sorted(e["properties"]["content"] for e in episodes) == [
        "I work at Acme.", "I work at Globex now.", "Thanks!", "Thanks!"
    ]  # fmt: skip
    first = next(e for e in episodes if e["properties"]["content"] == "I work at Acme.")
    assert first["properties"]["occurred_at"] == {"$datetime": "2024-01-05T10:00:00+00:00"}
    assert json.loads(first["properties"]["metadata"]) == {"line": 1}


def test_ingest_rejects_bad_lines_before_writing(memory: Memory, user: str, tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "bad.jsonl",
        [{"user_id": user, "content": "ok"}, {"user_id": user, "content": "x", "colour": "red"}],
    )
    with pytest.raises(ValidationError, match=r"bad\.jsonl:2.*colour"):
        memory.ingest(path)
    path = _jsonl(tmp_path / "when.jsonl", [{"user_id": user, "content": "x", "timestamp": "soon"}])
    with pytest.raises(ValidationError, match=r"when\.jsonl:1.*timestamp"):
        memory.ingest(path)
    with pytest.raises(ValidationError, match="user_id"):
        memory.ingest([{"content": "no scope"}])
    assert memory.export(user_id=user)["nodes"] == []


def test_ingest_locomo_shape(memory: Memory, user: str) -> None:
    if not LOCOMO.exists():
        pytest.fail(f"{LOCOMO} is missing (the shared LoCoMo dev set)")
    first = memory.ingest(LOCOMO, user_id=user, limit=20, progress=False)
    assert first["stored"] == 20 and first["users"] == 1
    resumed = memory.ingest(LOCOMO, user_id=user, limit=24, progress=False)
    assert (resumed["stored"], resumed["skipped"]) == (4, 20)
    episodes = [n["properties"] for n in memory.export(user_id=user)["nodes"]
                if n["labels"] == ["Episode"]]  # fmt: skip
    assert len(episodes) == 24
    opening = next(e for e in episodes if json.loads(e["metadata"])["dia_id"] == "D1:1")
    assert opening["name"] == "Caroline" and opening["run_id"] == "conv-26/session_1"
    assert opening["occurred_at"] == {"$datetime": "2023-05-08T13:56:00+00:00"}


# -- agent tools -----------------------------------------------------------------------------------


def test_tool_definitions_are_json_schema() -> None:
    defs = MemoryTools.definitions()
    assert [d["name"] for d in defs] == ["search_memory", "add_memory", "get_entity"]
    for d in defs:
        assert d["parameters"]["type"] == "object" and d["parameters"]["required"]
        assert "user_id" not in d["parameters"]["properties"]  # the app picks the scope
    assert MemoryTools.openai_tools()[0] == {"type": "function", "function": defs[0]}


def test_tools_call_the_memory_in_their_scope(memory: Memory, user: str) -> None:
    tools = MemoryTools(memory, user_id=user, speaker="Ida")
    stranger = MemoryTools(memory, user_id=user + "-x")
    added = tools.call("add_memory", '{"text": "I work at Acme and I live in Porto."}')
    assert {e["event"] for e in added["stored"]} == {"ADD"}
    assert len(added["stored"]) == 2
    found = tools.call("search_memory", {"query": "Where does Ida work?"})
    assert found["memories"] and "Ida works at Acme" in [m["memory"] for m in found["memories"]]
    assert stranger.call("search_memory", {"query": "Where does Ida work?"})["memories"] == []
    entity = tools.call("get_entity", {"name": "Ida"})
    assert entity["entity"]["name"] == "Ida"
    assert {f["memory"] for f in entity["facts"]} >= {"Ida works at Acme", "Ida lives in Porto"}
    assert tools.call("get_entity", {"name": "Nobody"})["entity"] is None
    assert "error" in tools.call("drop_tables", {})
    assert "error" in tools.call("search_memory", {"query": ""})
    assert "error" in tools.call("search_memory", "{not json")
    assert "- Ida works at Acme" in tools.recall("Where does Ida work?")


def test_openai_tools_loop_against_a_scripted_server(memory: Memory, user: str) -> None:
    tools = MemoryTools(memory, user_id=user, speaker="Ida")
    tools.add_memory("I work at Acme.")
    replies = iter(
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "get_entity",
                            "arguments": json.dumps({"name": "Acme"}),
                        },
                    }
                ],
            },
            {"role": "assistant", "content": "You work at Acme; congrats on the new dog!"},
        ]
    )

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        message = next(replies)
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return 200, {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        }

    with openai_server(respond) as (base_url, received):
        client = openai.OpenAI(base_url=base_url, api_key="k")
        messages = [{"role": "user", "content": "I adopted a dog named Rex. Where do I work?"}]
        answer = run_openai_turn(client, "scripted", tools, messages)
    assert answer == "You work at Acme; congrats on the new dog!"
    assert len(received) == 2
    first = received[0]["body"]
    assert [t["function"]["name"] for t in first["tools"]] == [
        "search_memory",
        "add_memory",
        "get_entity",
    ]
    assert "Ida works at Acme" in first["messages"][0]["content"]  # recalled before the reply
    tool_msg = received[1]["body"]["messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == "call_1"
    assert "Ida works at Acme" in tool_msg["content"]
    remembered = {f["memory"] for f in memory.get_all(user_id=user)["results"]}
    assert any("Rex" in m for m in remembered)  # stored after the reply


# -- picture ---------------------------------------------------------------------------------------


def test_show_draws_a_png(memory: Memory, user: str, tmp_path: Path) -> None:
    from PIL import Image

    from graphmem.cli.picture import show

    memory.add_relation("Ida", "WORKS_AT", "Acme", user_id=user)
    memory.add_relation("Ida", "LIVES_IN", "Porto", user_id=user)
    memory.add_relation("Bo", "KNOWS", "Ida", user_id=user)
    memory.add_relation("Acme", "LOCATED_IN", "Lisbon", user_id=user)
    whole = show(memory, tmp_path / "all.png", user_id=user)
    assert (whole["nodes"], whole["edges"]) == (5, 4)
    part = show(memory, tmp_path / "ida.png", user_id=user, entity="Porto", hops=1)
    assert part["edges"] < whole["edges"]
    image = Image.open(tmp_path / "all.png")
    assert image.format == "PNG" and image.width >= 500 and image.height >= 300
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # drawn, not a blank canvas
    with pytest.raises(ValidationError, match="nothing to draw"):
        show(memory, tmp_path / "none.png", user_id=user + "-empty")

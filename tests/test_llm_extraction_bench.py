"""The LLM extractor's benchmark (`benchmarks/llm_extraction_bench.py`): its replay file is
valid extraction replies for real dev turns, and a run over one conversation's replayed
sessions sends exactly one request per `add`, yields the events the replies imply, and counts
the tokens of the requests the server received."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchmarks.llm_extraction_bench import replayed_turns, run
from benchmarks.llm_replay import Replay, load_replay
from benchmarks.locomo_retrieval import DATA, turns_of
from benchmarks.scripted_llm import approx_tokens, prompt_text
from graphmem import Memory

if not DATA.exists():
    pytest.skip(f"the LoCoMo dev data is not at {DATA} (../shared/data)", allow_module_level=True)
CONVERSATIONS = json.loads(DATA.read_text())


def test_the_replay_answers_real_turns_with_valid_replies() -> None:
    lines = load_replay()  # each reply validated by graphmem's Extraction model
    turns = {(c["sample_id"], t["dia_id"]) for c in CONVERSATIONS for t in turns_of(c)}
    assert {(x.conversation, x.dia_id) for x in lines} <= turns
    assert len(lines) == len({(x.conversation, x.dia_id) for x in lines})
    for x in lines:
        for r in x.reply.relations:
            named = {e.name for e in x.reply.entities}
            assert {r.subject, r.object} <= named
            assert (r.memory_id is not None) == (r.event in ("UPDATE", "DELETE", "NONE"))


class Recording(Replay):
    """The replay, keeping every request body."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.bodies.append(body)
        return super().__call__(path, body)


def test_one_request_per_add_with_the_events_and_tokens_of_the_replies(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    turns = [(c, t) for c, t in replayed_turns(CONVERSATIONS) if c == "conv-30"]
    responder = Recording(load_replay(), {(c, t["dia_id"]): t["text"] for c, t in turns})
    summary = run(config, turns, responder, model="scripted", user_prefix=user)
    try:
        assert summary["adds"] == summary["requests"] == len(turns) == 44
        assert summary["requests_per_add"] == {1: 44}
        assert summary["unresolved_references"] == 0
        # The replies state 19 ADD, 1 UPDATE (Jon's business plan becomes a dance studio)
        # and 3 NONE; `add` drops NONE, and the two job losses (negated, no job on record)
        # leave nothing to retract.
        assert summary["model_events"] == {"ADD": 19, "NONE": 3, "UPDATE": 1}
        assert summary["add_events"] == {"ADD": 17, "UPDATE": 1}
        sent = [approx_tokens(prompt_text(b)) for b in responder.bodies]
        assert summary["prompt_tokens"]["total"] == sum(sent)
        assert summary["prompt_tokens"]["max"] == max(sent)
        # Jon's facts so far are shown to the model when Jon speaks again.
        assert summary["existing_facts_shown"]["max"] >= 10
    finally:
        with Memory(config) as m:
            m.delete_all(user_id=f"{user}conv-30")

"""The LoCoMo QA harness (`benchmarks/locomo_qa.py`) end to end, small: session 1 of a dev
conversation ingested into the session store (offline extractor, hashing embedder), its four
questions retrieved with `search`, answered and judged through the real `openai` client by a
scripted server that tells answer requests from judge requests by their messages. The J score,
token-F1 and token counts must be the ones the script implies, and every answer request must
carry the memories retrieved for its question."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks.locomo_qa import report, run
from benchmarks.locomo_retrieval import DATA
from benchmarks.qa_chat import Chat
from benchmarks.qa_context import memories_text
from benchmarks.scripted_llm import approx_tokens, completion, prompt_text
from graphmem import Memory

from .openai_stub import openai_server

if not DATA.exists():
    pytest.skip(f"the LoCoMo dev data is not at {DATA} (../shared/data)", allow_module_level=True)

# The scripted model's answer to each question, and whether the scripted judge accepts it.
ANSWERS = {
    "When did Caroline go to the LGBTQ support group?": ("7 May 2023", True),
    "When did Melanie paint a sunrise?": ("Last year", False),
    "What fields would Caroline be likely to pursue in her educaton?": (
        "Counseling and mental health",
        True,
    ),
    "What is Caroline's identity?": ("A transgender woman", True),
}
# mem0's token-F1 of those answers against the gold ones, by hand: "7 May 2023" = gold;
# "Last year" vs "2022" shares nothing; {counseling, and, mental, health} vs {psychology,
# counseling, certification}: P 1/4, R 1/3, F1 2/7; {a, transgender, woman} vs {transgender,
# woman}: P 2/3, R 1, F1 0.8.
F1 = {"temporal": (1.0 + 0.0) / 2, "open-domain": 2 / 7, "multi-hop": 0.8}


def session_one(user: str) -> dict[str, Any]:
    """conv-26 cut to its first session, with the questions whose evidence lies in it."""
    conv = json.loads(DATA.read_text())[0]
    c = conv["conversation"]
    keep = ("speaker_a", "speaker_b", "session_1", "session_1_date_time")
    return {
        "sample_id": user,
        "conversation": {k: c[k] for k in keep},
        "qa": [q for q in conv["qa"] if q["question"] in ANSWERS],
    }


def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Judge requests (they hold a gold answer) get a JSON label; answer requests the
    scripted answer to the question they end with."""
    text = prompt_text(body)
    if "Gold answer:" in text:
        question = re.findall(r"^Question: (.*)$", text, re.M)[-1]  # after the prompt's example
        generated = re.findall(r"^Generated answer: (.*)$", text, re.M)[-1]
        answer, accepted = ANSWERS[question]
        label = "CORRECT" if generated == answer and accepted else "WRONG"
        return 200, completion(body, json.dumps({"reason": "scripted", "label": label}))
    question = re.search(r"# Question\n(.*)\n", text)
    assert question, text
    return 200, completion(body, ANSWERS[question.group(1)][0])


def test_the_harness_scores_what_the_script_implies(
    server: Memory, config: dict[str, Any], user: str, tmp_path: Path
) -> None:
    settings = {**config, "extractor": "offline"}
    conv = session_one(user)
    with openai_server(respond) as (base_url, received):
        chat = Chat(base_url=base_url, model="scripted", api_key="k")
        summary, rows = run(settings, [conv], chat, chat, home=tmp_path, top_k=8)
    try:
        table = summary["table"]
        assert table["overall"]["questions"] == 4
        assert table["overall"]["j_score"] == 0.75
        assert {g: table[g]["j_score"] for g in F1} == {
            "temporal": 0.5,
            "open-domain": 1.0,
            "multi-hop": 1.0,
        }
        assert {g: table[g]["f1"] for g in F1} == {g: round(v, 4) for g, v in F1.items()}
        assert table["overall"]["f1"] == round((1.0 + 0.0 + 2 / 7 + 0.8) / 4, 4)

        # Two requests a question, in order: its answer, then its judgement.
        assert len(received) == 8
        for row, ask, judge in zip(rows, received[::2], received[1::2], strict=True):
            assert row.answer == ANSWERS[row.question][0]
            assert f"Generated answer: {row.answer}\n" in prompt_text(judge["body"])
            assert f"Gold answer: {row.gold}\n" in prompt_text(judge["body"])
            assert judge["body"]["response_format"] == {"type": "json_object"}
            assert row.answer_prompt_tokens == approx_tokens(prompt_text(ask["body"]))
            assert row.answer_completion_tokens == approx_tokens(row.answer)
            assert row.judge_prompt_tokens == approx_tokens(prompt_text(judge["body"]))
            assert row.judge_completion_tokens == approx_tokens(row.judge_reply)
        mean_prompt = sum(approx_tokens(prompt_text(r["body"])) for r in received[::2]) / 4
        assert table["overall"]["answer_prompt_tokens"] == round(mean_prompt, 4)

        # The answer requests carried what search retrieved for their question.
        with Memory(settings) as m:
            for row, ask in zip(rows, received[::2], strict=True):
                results = m.search(row.question, user_id=user, limit=8)["results"]
                assert results and row.memories == len(results)
                assert memories_text(results) in prompt_text(ask["body"])
        report(summary, rows, tmp_path / "qa")
        assert json.loads((tmp_path / "qa.json").read_text())["table"] == table
        assert len((tmp_path / "qa_rows.jsonl").read_text().splitlines()) == 4

        support = prompt_text(received[0]["body"])
        assert "I went to a LGBTQ support group yesterday" in support
        assert "at 1:56 pm on 8 May 2023" in support
    finally:
        with Memory(settings) as m:
            m.delete_all(user_id=user)

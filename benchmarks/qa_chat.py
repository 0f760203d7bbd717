"""The two model calls of the LoCoMo QA harness: answer a question from retrieved memories,
and judge the answer against the gold one (the "J score" protocol).

Both prompts are files in ``benchmarks/prompts/`` filled with `string.Template`:

* ``locomo_answer.md``: the answer instructions of mem0's evaluation (``ANSWER_PROMPT_ZEP`` in
  https://github.com/mem0ai/mem0/blob/main/evaluation/prompts.py: timestamps matter, relative
  times become dates, the most recent memory wins, at most 5-6 words), asking for the answer
  alone instead of the worked reasoning mem0's prompt also invites, so that token-F1 scores
  the answer and not the reasoning.
* ``locomo_judge.md``: mem0's LLM-as-judge prompt (``ACCURACY_PROMPT`` in
  https://github.com/mem0ai/mem0/blob/main/evaluation/metrics/llm_judge.py), the J score of
  mem0's paper (Chhikara et al. 2025, arXiv:2504.19413) also used by Zep's reply to it
  (https://blog.getzep.com/lies-damn-lies-statistics-is-mem0-really-sota-in-agent-memory/):
  question, gold answer and generated answer; generous on topic and on date formats; the reply
  is JSON ``{"label": "CORRECT" | "WRONG"}``, asked with ``response_format=json_object`` and
  temperature 0, as mem0 asks gpt-4o-mini. Same rules and output as mem0's text, in our words.

Every call is one chat-completions request through the real `openai` client; its token usage
is what the endpoint reports (None when it reports none).
"""

from __future__ import annotations

import json
from pathlib import Path
from string import Template
from typing import Literal

import openai
from pydantic import BaseModel, ConfigDict, ValidationError

from graphmem.extraction.llm import strip_fences

PROMPTS = Path(__file__).resolve().parent / "prompts"


class Usage(BaseModel):
    """The tokens one request used, as the endpoint reported them."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class Reply(BaseModel):
    """A model's reply text and the request's usage."""

    text: str
    usage: Usage


class Verdict(BaseModel):
    """The judge's reply: its label (other keys, such as a reason, are allowed)."""

    model_config = ConfigDict(extra="allow")

    label: Literal["CORRECT", "WRONG"]


class Judged(BaseModel):
    """A judgement: correct or not, the judge's raw reply, and the request's usage."""

    correct: bool
    raw: str
    usage: Usage


def prompt(name: str, **values: str) -> str:
    """The prompt file `name` of ``benchmarks/prompts/`` with its placeholders filled."""
    return Template((PROMPTS / name).read_text(encoding="utf-8")).substitute(values)


class Chat:
    """One model on an OpenAI-compatible endpoint, asked one user turn at a time."""

    def __init__(self, *, base_url: str, model: str, api_key: str, timeout: float = 120.0):
        self.model = model
        self.base_url = base_url
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout)

    def ask(self, text: str, *, json_reply: bool = False) -> Reply:
        """The reply to one user turn `text` (temperature 0)."""
        response = self._client.chat.completions.create(
            model=self.model,
            messages=[{"role": "user", "content": text}],
            temperature=0.0,
            response_format={"type": "json_object"} if json_reply else openai.omit,
        )
        usage = response.usage
        return Reply(
            text=(response.choices[0].message.content or "").strip() if response.choices else "",
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else None,
                completion_tokens=usage.completion_tokens if usage else None,
            ),
        )

    def answer(self, question: str, memories: str) -> Reply:
        """The model's short answer to `question` from the `memories` text."""
        return self.ask(prompt("locomo_answer.md", memories=memories, question=question))

    def judge(self, question: str, gold: str, generated: str) -> Judged:
        """CORRECT or WRONG for `generated` against the `gold` answer; a reply that is not the
        JSON label counts as WRONG (mem0's script would stop on it)."""
        reply = self.ask(
            prompt(
                "locomo_judge.md", question=question, gold_answer=gold, generated_answer=generated
            ),
            json_reply=True,
        )
        try:
            verdict = Verdict.model_validate(json.loads(strip_fences(reply.text)))
        except (ValueError, ValidationError):
            return Judged(correct=False, raw=reply.text, usage=reply.usage)
        return Judged(correct=verdict.label == "CORRECT", raw=reply.text, usage=reply.usage)

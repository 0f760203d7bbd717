"""What answers the LLM extractor's requests in `llm_extraction_bench.py`: a replay of
written extraction replies, or a forward to a real OpenAI-compatible endpoint. Both serve
behind `tests/openai_stub.py` and record the usage of every reply they send.

The replay file (``benchmarks/data/llm_extraction_replay.jsonl``) holds one line per turn:
``{"conversation", "dia_id", "reply"}``, the reply in the extractor's format
(``graphmem/prompts/extract_system.md``, validated by `graphmem.extraction.models.Extraction`).
A reply that names an existing fact (``UPDATE``, ``DELETE``, ``NONE``) cannot know its memory
id in advance, so it writes ``"memory_id": "ref:RELATION|subject|object words"``; the replay
puts in the id of the first fact of the request's existing-facts list with that relation whose
sentence contains the subject and the object words (case-insensitive), as a model reading the
list would. A reference the list does not satisfy becomes a plain ``ADD`` with no id (and is
counted in ``unresolved``).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from benchmarks.scripted_llm import completion
from graphmem.extraction.models import Extraction

REPLAY = Path(__file__).resolve().parent / "data" / "llm_extraction_replay.jsonl"
_FACT = re.compile(r"^\[(?P<id>[^\]]+)\] (?P<text>.*) \((?P<rel>[A-Z][A-Z0-9_]*)(?:, [^)]*)?\)$")
_MESSAGES = re.compile(r"<messages>\n(.*?)\n</messages>", re.S)


class ReplayLine(BaseModel):
    """The scripted reply to one turn."""

    conversation: str
    dia_id: str
    reply: Extraction


def load_replay(path: Path = REPLAY) -> list[ReplayLine]:
    """Every line of a replay file, validated."""
    return [ReplayLine.model_validate_json(line) for line in path.read_text().splitlines()]


def user_turn(body: dict[str, Any]) -> str:
    """The text of the request's user turn (the extractor sends one)."""
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def message_texts(body: dict[str, Any]) -> list[str]:
    """The contents of the new messages an extraction request carries."""
    found = _MESSAGES.search(user_turn(body))
    lines = found.group(1).splitlines() if found else []
    return [json.loads(line)["content"] for line in lines if line.strip()]


def existing_facts(body: dict[str, Any]) -> list[dict[str, str]]:
    """The existing facts the request shows the model: id, sentence and relation of each."""
    return [
        m.groupdict() for line in user_turn(body).splitlines() if (m := _FACT.match(line.strip()))
    ]


def resolve(ref: str, facts: list[dict[str, str]]) -> str | None:
    """The id of the fact a ``ref:RELATION|subject|object`` names, None when none fits."""
    relation, subject, obj = ref.removeprefix("ref:").split("|")
    for f in facts:
        text = f["text"].lower()
        if f["rel"] == relation and subject.lower() in text and obj.lower() in text:
            return f["id"]
    return None


class Replay:
    """Answers an extraction request with the reply written for its message (by its text);
    records, per request, the reply's events and usage."""

    def __init__(self, lines: list[ReplayLine], texts: dict[tuple[str, str], str]) -> None:
        """`texts`: (conversation, dia_id) -> the text of each turn to be added (the replies
        of other turns are left out)."""
        self.by_text = {
            texts[key]: x.reply for x in lines if (key := (x.conversation, x.dia_id)) in texts
        }
        self.sent: list[dict[str, Any]] = []
        self.unresolved = 0

    def __call__(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        (text,) = message_texts(body)
        reply = self.by_text[text].model_dump()
        facts = existing_facts(body)
        for r in reply["relations"]:
            ref = r["memory_id"]
            if ref and ref.startswith("ref:"):
                r["memory_id"] = resolve(ref, facts)
                if r["memory_id"] is None:
                    self.unresolved += 1
                    r["event"] = "ADD"
        payload = completion(body, json.dumps(reply))
        self.sent.append(
            {
                "usage": payload["usage"],
                "events": [r["event"] for r in reply["relations"]],
                "existing_facts": len(facts),
            }
        )
        return 200, payload


class Forward:
    """Passes each request to a real endpoint (`base_url`, ending in /v1) and returns its
    reply; records the usage the endpoint reports and the facts the request showed."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 300.0) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.api_key = api_key
        self.timeout = timeout
        self.sent: list[dict[str, Any]] = []
        self.unresolved = 0

    def __call__(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, payload = response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, json.loads(exc.read() or b"{}")
        events: list[str | None] = []
        if status == 200:
            try:
                reply = json.loads(payload["choices"][0]["message"]["content"])
                events = [r.get("event") for r in reply.get("relations", [])]
            except (KeyError, IndexError, TypeError, ValueError):
                events = []  # not a usable extraction: the extractor asks for a repair
        self.sent.append(
            {
                "usage": payload.get("usage") or {},
                "events": events,
                "existing_facts": len(existing_facts(body)),
            }
        )
        return status, payload

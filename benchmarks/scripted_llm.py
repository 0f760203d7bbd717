"""Chat-completion replies for scripted OpenAI-compatible servers (`tests/openai_stub.py`),
with the token usage a real server would report, approximated.

A scripted server has no tokenizer, so `approx_tokens` counts one token per 4 characters
(rounded up), the usual rule of thumb for English with OpenAI's tokenizers; a real endpoint
reports its own counts in ``usage``. The benchmarks that talk to a scripted server
(`llm_extraction_bench.py`, `locomo_qa.py` in the suite) build every reply with `completion`,
so their token figures are this approximation, and say so.

Run as a script, it serves dry-run replies on a loopback port until stopped, so that the
harnesses can be measured (prompt sizes, search latency) with no model at all: a request
that asks for JSON (``response_format``, the judge) gets ``{"label": "WRONG"}``, any other
``"(dry run: no model)"``; J and F1 of such a run are zero by construction.

    .venv/bin/python benchmarks/scripted_llm.py --port 8011 &
    .venv/bin/python benchmarks/locomo_qa.py --base-url http://127.0.0.1:8011/v1 \\
        --model dry-run --home /tmp/locomo --out benchmarks/results/locomo_qa_dry_run

    >>> approx_tokens("four"), approx_tokens("fives")
    (1, 2)
    >>> reply = completion({"messages": [{"role": "user", "content": "12345678"}]}, "ok")
    >>> reply["choices"][0]["message"]["content"], reply["usage"]["prompt_tokens"]
    ('ok', 2)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
from pathlib import Path
from typing import Any

CHARS_PER_TOKEN = 4


def approx_tokens(text: str) -> int:
    """Tokens in `text` by the 4-characters rule (0 for empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def prompt_text(body: dict[str, Any]) -> str:
    """All message contents of a chat-completions request body, joined by newlines."""
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []))


def completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat.completion payload answering request `body` with `content`, its usage counted
    by `approx_tokens`."""
    prompt, reply = approx_tokens(prompt_text(body)), approx_tokens(content)
    return {
        "id": "scripted",
        "object": "chat.completion",
        "created": 0,
        "model": str(body.get("model", "scripted")),
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": reply,
            "total_tokens": prompt + reply,
        },
    }


def dry_run(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The dry-run reply to a chat-completions request (see the module docstring)."""
    if body.get("response_format"):
        return 200, completion(body, json.dumps({"label": "WRONG"}))
    return 200, completion(body, "(dry run: no model)")


def main() -> None:
    parser = argparse.ArgumentParser(description="serve dry-run chat completions")
    parser.add_argument("--port", type=int, default=8011)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.openai_stub import openai_server

    with openai_server(dry_run, port=args.port) as (base_url, _):
        print(f"serving dry-run completions at {base_url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()

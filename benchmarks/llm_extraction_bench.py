"""The LLM extractor's path measured: LoCoMo dev sessions added turn by turn with
``extractor: llm``, counting the requests each `add` sends (one; two when a reply needed a
repair), the events, and the tokens sent.

The extractor talks to a loopback server (`tests/openai_stub.py`) that counts every request
and answers it either

* by replaying the written replies of ``benchmarks/data/llm_extraction_replay.jsonl``
  (`llm_replay.Replay`; the default): tokens are then approximated, 4 characters a token
  (`scripted_llm.approx_tokens`), as a scripted server has no tokenizer; or
* by forwarding it to a real endpoint (``--base-url``, ``--model``, ``--api-key``;
  `llm_replay.Forward`): tokens are what the endpoint's ``usage`` reports.

The turns added are those of the sessions the replay file covers (conv-26 and conv-30,
sessions 1-2), as locomo_retrieval.py adds them (speaker, ``dia_id``, session time), into a
fresh store. Reported: events of `add` (ADD, UPDATE, DELETE, NOOP, NONE) and those the model
stated (including NONE, which `add` drops), requests per `add`, prompt and completion tokens
per request (mean, max, total), existing facts shown per request, replay references the
request's facts did not satisfy. Writes ``benchmarks/results/llm_extraction_bench.json``
and the printed figures to ``.md``.

    .venv/bin/python benchmarks/llm_extraction_bench.py                 # replay
    .venv/bin/python benchmarks/llm_extraction_bench.py --base-url http://localhost:11434/v1 \\
        --model llama3.1                                                # Ollama
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from benchmarks.llm_replay import Forward, Replay, load_replay  # noqa: E402
from benchmarks.locomo_retrieval import DATA, RESULTS, turn_item, turns_of  # noqa: E402
from graphmem import Memory  # noqa: E402
from tests.openai_stub import openai_server  # noqa: E402


def replayed_turns(conversations: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(conversation, turn) of every turn the replay file covers, in conversation order."""
    wanted = {(x.conversation, x.dia_id) for x in load_replay()}
    return [
        (c["sample_id"], t)
        for c in conversations
        for t in turns_of(c)
        if (c["sample_id"], t["dia_id"]) in wanted
    ]


def run(
    config: dict[str, Any],
    turns: list[tuple[str, dict[str, Any]]],
    responder: Replay | Forward,
    *,
    model: str,
    user_prefix: str = "",
) -> dict[str, Any]:
    """Add `turns` (each conversation as the user ``<user_prefix><conversation>``) with the
    LLM extractor of `config` pointed at a loopback server answered by `responder`."""
    calls: list[int] = []
    events: Counter[str] = Counter()
    add_ms: list[float] = []
    with openai_server(responder) as (base_url, received):
        llm = {"model": model, "base_url": base_url, "api_key": "via-loopback"}
        with Memory({**config, "extractor": "llm", "llm": llm}) as m:
            for conversation, turn in turns:
                before = len(received)
                t0 = time.perf_counter()
                result = m.add(**turn_item(user_prefix + conversation, turn))
                add_ms.append((time.perf_counter() - t0) * 1000)
                calls.append(len(received) - before)
                events.update(e["event"] for e in result["results"])
    return summarize(responder, calls, events, add_ms, len(received))


def summarize(
    responder: Replay | Forward,
    calls: list[int],
    events: Counter[str],
    add_ms: list[float],
    requests: int,
) -> dict[str, Any]:
    """The figures of one run (see the module docstring)."""
    sent = responder.sent
    prompt = np.array([s["usage"].get("prompt_tokens") or 0 for s in sent])
    reply = np.array([s["usage"].get("completion_tokens") or 0 for s in sent])
    facts = np.array([s["existing_facts"] for s in sent])
    return {
        "adds": len(calls),
        "requests": requests,
        "requests_per_add": dict(sorted(Counter(calls).items())),
        "add_events": dict(sorted(events.items())),
        "model_events": dict(sorted(Counter(str(e) for s in sent for e in s["events"]).items())),
        "unresolved_references": responder.unresolved,
        "prompt_tokens": _spread(prompt),
        "completion_tokens": _spread(reply),
        "existing_facts_shown": _spread(facts),
        "add_ms_p50": round(float(np.percentile(add_ms, 50)), 1) if add_ms else None,
    }


def _spread(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {"mean": 0.0, "max": 0.0, "total": 0.0}
    return {
        "mean": round(float(values.mean()), 1),
        "max": float(values.max()),
        "total": float(values.sum()),
    }


def report(summary: dict[str, Any], out: Path) -> None:
    """Print the figures; write them to ``<out>.md`` and the summary to ``<out>.json``."""
    lines = [
        f"LLM extraction ({summary['source']}, tokens {summary['tokens']})",
        f"adds {summary['adds']}, requests {summary['requests']}, "
        f"requests per add {summary['requests_per_add']}",
        f"events of add: {summary['add_events']}",
        f"events the model stated: {summary['model_events']}",
    ]
    for key in ("prompt_tokens", "completion_tokens", "existing_facts_shown"):
        s = summary[key]
        lines.append(f"{key:<22} mean {s['mean']:>8} max {s['max']:>8} total {s['total']:>10}")
    lines.append(
        f"add p50 {summary['add_ms_p50']} ms; "
        f"unresolved replay references {summary['unresolved_references']}"
    )
    print("\n" + "\n".join(lines))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    out.with_suffix(".md").write_text("```\n" + "\n".join(lines) + "\n```\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="a real OpenAI-compatible endpoint (default: replay)")
    parser.add_argument("--model", default="scripted", help="the extraction model")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "not-needed"))
    parser.add_argument("--home", help="store folder (default: a fresh temporary one)")
    parser.add_argument("--out", default=str(RESULTS / "llm_extraction_bench"), help="path stem")
    args = parser.parse_args()
    conversations = json.loads(DATA.read_text())
    turns = replayed_turns(conversations)
    responder: Replay | Forward
    if args.base_url:
        responder = Forward(args.base_url, args.api_key)
    else:
        texts = {(c, t["dia_id"]): t["text"] for c, t in turns}
        responder = Replay(load_replay(), texts)
    home = args.home or tempfile.mkdtemp(prefix="graphmem-llm-bench-")
    summary = run({"store": {"home": home, "heap": "2g"}}, turns, responder, model=args.model)
    summary = {
        "source": f"{args.base_url} ({args.model})" if args.base_url else "replay",
        "tokens": "endpoint usage" if args.base_url else "approximated, 4 characters a token",
        "turns": len(turns),
        "sessions": sorted({f"{c} session {t['dia_id'].split(':')[0][1:]}" for c, t in turns}),
        **summary,
    }
    report(summary, Path(args.out))


if __name__ == "__main__":
    main()

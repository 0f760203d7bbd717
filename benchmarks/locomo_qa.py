"""LoCoMo question answering with graphmem's memories and any OpenAI-compatible model: the
J score (LLM-as-judge), token-F1, tokens per question and search latency, per category.

For each question of the dev conversations (``locomo_retrieval.questions_of``: categories 1-4
that cite evidence; category 5, adversarial, has no gold answer and is excluded as mem0's
``llm_judge.py`` excludes it), as locomo_retrieval.py does:

1. retrieve: `search(question, user_id=conversation, limit=top_k)` on the store that
   locomo_retrieval.py ingests (kept with ``--home``, ingested here when missing);
2. answer: one call to ``--model`` with the retrieved facts and turns, each with its date
   (``qa_context.py``, prompt ``benchmarks/prompts/locomo_answer.md``);
3. judge: one call to ``--judge-model`` (default: the same model) with mem0's judge prompt
   (``qa_chat.py``, ``benchmarks/prompts/locomo_judge.md``): CORRECT or WRONG as JSON;
4. score: J = share judged CORRECT; token-F1 against the gold answer (``qa_score.py``);
   prompt and completion tokens of both calls as the endpoint's ``usage`` reports them;
   search latency.

    .venv/bin/python benchmarks/locomo_qa.py --base-url http://localhost:11434/v1 \\
        --model llama3.1 --home /tmp/locomo --limit 50          # Ollama, 50 questions
    .venv/bin/python benchmarks/locomo_qa.py --base-url https://api.openai.com/v1 \\
        --model gpt-4o-mini --api-key "$OPENAI_API_KEY" --home /tmp/locomo

Prints a table and writes it to ``benchmarks/results/locomo_qa.md``, the settings and the
table to ``locomo_qa.json`` and every question's row (answer, judgement, tokens, latency) to
``locomo_qa_rows.jsonl`` (``--out`` sets the path stem). LoCoMo's gold answers are not all
right (an audit found 99 wrong of the 1,540 questions of categories 1-4, 6.4%: a perfect
system scores about 93.6%; https://github.com/dial481/locomo-audit, after
https://github.com/snap-research/locomo/issues/27), so read J scores with that ceiling.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from benchmarks.locomo_retrieval import (  # noqa: E402
    CATEGORIES,
    DATA,
    RESULTS,
    ingest,
    questions_of,
    turns_of,
)
from benchmarks.qa_chat import Chat  # noqa: E402
from benchmarks.qa_context import memories_text  # noqa: E402
from benchmarks.qa_score import Row, summarize, token_f1  # noqa: E402
from graphmem import Memory  # noqa: E402

# (key in the summary, header, width and decimals of the printed table)
COLUMNS = (
    ("j_score", "J", 6, 3),
    ("f1", "F1", 6, 3),
    ("answer_prompt_tokens", "answer in", 10, 0),
    ("answer_completion_tokens", "answer out", 10, 1),
    ("judge_prompt_tokens", "judge in", 9, 0),
    ("search_ms_p50", "search p50", 10, 1),
    ("search_ms_p95", "p95 ms", 7, 1),
)


def ask_all(
    m: Memory,
    conversations: list[dict[str, Any]],
    answerer: Chat,
    judge: Chat,
    *,
    top_k: int = 10,
    limit: int | None = None,
) -> list[Row]:
    """Every question of `conversations` (the first `limit`), retrieved from `m` as the
    conversation's user, answered and judged."""
    rows: list[Row] = []
    for conv in conversations:
        user = conv["sample_id"]
        for q in questions_of(conv):
            if limit is not None and len(rows) >= limit:
                return rows
            t0 = time.perf_counter()
            results = m.search(q["question"], user_id=user, limit=top_k)["results"]
            search_ms = (time.perf_counter() - t0) * 1000
            answer = answerer.answer(q["question"], memories_text(results))
            judged = judge.judge(q["question"], q["answer"], answer.text)
            rows.append(
                Row(
                    conversation=user,
                    category=q["category"],
                    question=q["question"],
                    gold=q["answer"],
                    answer=answer.text,
                    correct=judged.correct,
                    f1=token_f1(q["answer"], answer.text),
                    judge_reply=judged.raw,
                    search_ms=round(search_ms, 1),
                    memories=len(results),
                    answer_prompt_tokens=answer.usage.prompt_tokens,
                    answer_completion_tokens=answer.usage.completion_tokens,
                    judge_prompt_tokens=judged.usage.prompt_tokens,
                    judge_completion_tokens=judged.usage.completion_tokens,
                )
            )
            label = "CORRECT" if judged.correct else "WRONG"
            print(f"  {user} #{len(rows)} {label}: {answer.text[:60]!r}", file=sys.stderr)
    return rows


def run(
    config: dict[str, Any],
    conversations: list[dict[str, Any]],
    answerer: Chat,
    judge: Chat,
    *,
    home: Path,
    top_k: int = 10,
    limit: int | None = None,
) -> tuple[dict[str, Any], list[Row]]:
    """Ingest what `home` lacks of `conversations` (as locomo_retrieval.py does), then ask
    every question; the summary and the rows."""
    with Memory(config) as m:
        for conv in conversations:
            ingest(m, conv["sample_id"], turns_of(conv), home)
        rows = ask_all(m, conversations, answerer, judge, top_k=top_k, limit=limit)
    summary = {
        "base_url": str(answerer.base_url),
        "model": answerer.model,
        "judge_model": judge.model,
        "top_k": top_k,
        "excluded": "category 5 (adversarial): no gold answer, excluded as mem0 does",
        "tokens": "as the endpoint's usage reports them, means per question",
        "table": summarize(rows, CATEGORIES),
    }
    return summary, rows


def table_lines(summary: dict[str, Any]) -> list[str]:
    """The printed table of a summary."""
    lines = [
        f"LoCoMo QA: {summary['model']} answering, {summary['judge_model']} judging, "
        f"top {summary['top_k']} memories (categories 1-4)",
        f"{'category':<12} {'n':>4} " + " ".join(f"{h:>{w}}" for _, h, w, _ in COLUMNS),
    ]
    for group, row in summary["table"].items():
        cells = " ".join(
            f"{'-':>{w}}" if row[k] is None else f"{row[k]:>{w}.{d}f}" for k, _, w, d in COLUMNS
        )
        lines.append(f"{group:<12} {row['questions']:>4} {cells}")
    lines.append("tokens: means per question, as the endpoint's usage reports them")
    return lines


def report(summary: dict[str, Any], rows: list[Row], out: Path) -> None:
    """Print the table; write it to ``<out>.md``, the summary to ``<out>.json`` and every
    question's row to ``<out>_rows.jsonl``."""
    lines = table_lines(summary)
    print("\n" + "\n".join(lines))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    out.with_suffix(".md").write_text("```\n" + "\n".join(lines) + "\n```\n")
    out.with_name(out.name + "_rows.jsonl").write_text(
        "".join(r.model_dump_json() + "\n" for r in rows)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", required=True, help="OpenAI-compatible endpoint (.../v1)")
    parser.add_argument("--model", required=True, help="the model that answers")
    parser.add_argument("--judge-model", help="the model that judges (default: --model)")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "not-needed"))
    parser.add_argument("--home", help="the kept store of locomo_retrieval.py --home")
    parser.add_argument("--conversations", type=int, default=5, help="how many dev ones")
    parser.add_argument("--limit", type=int, help="ask only the first N questions")
    parser.add_argument("--top-k", type=int, default=10, help="memories retrieved per question")
    parser.add_argument("--out", default=str(RESULTS / "locomo_qa"), help="path stem")
    args = parser.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="graphmem-locomo-"))
    home.mkdir(parents=True, exist_ok=True)
    answerer = Chat(base_url=args.base_url, model=args.model, api_key=args.api_key)
    judge = Chat(base_url=args.base_url, model=args.judge_model or args.model, api_key=args.api_key)
    summary, rows = run(
        {"store": {"home": str(home), "heap": "2g"}, "extractor": "offline"},
        json.loads(DATA.read_text())[: args.conversations],
        answerer,
        judge,
        home=home,
        top_k=args.top_k,
        limit=args.limit,
    )
    report(summary, rows, Path(args.out))


if __name__ == "__main__":
    main()

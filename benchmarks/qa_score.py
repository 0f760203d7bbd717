"""Scores of the LoCoMo QA harness: token-F1 of an answer, and the per-category summary.

Token-F1 is the one of mem0's evaluation (``calculate_metrics`` in
https://github.com/mem0ai/mem0/blob/main/evaluation/metrics/utils.py, from A-Mem): lower case,
``. , ! ?`` turned into spaces, split on whitespace, F1 of the two token SETS.

    >>> token_f1("7 May 2023", "On May 7, 2023."), token_f1("Paris", "Rome"), token_f1("", "x")
    (0.857143, 0.0, 0.0)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from pydantic import BaseModel

_PUNCT = re.compile(r"[.,!?]")


def tokens(text: str) -> set[str]:
    """mem0's ``simple_tokenize``, as a set."""
    return set(_PUNCT.sub(" ", str(text).lower()).split())


def token_f1(gold: str, answer: str) -> float:
    """F1 of the token sets of `answer` against `gold` (6 decimals)."""
    g, a = tokens(gold), tokens(answer)
    common = len(g & a)
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(g)
    return round(2 * precision * recall / (precision + recall), 6)


class Row(BaseModel):
    """One question's outcome, as the results file lists it."""

    conversation: str
    category: int
    question: str
    gold: str
    answer: str
    correct: bool
    f1: float
    judge_reply: str
    search_ms: float
    memories: int
    answer_prompt_tokens: int | None
    answer_completion_tokens: int | None
    judge_prompt_tokens: int | None
    judge_completion_tokens: int | None


def _mean(values: list[float | int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 4) if known else None


def group_summary(rows: list[Row]) -> dict[str, Any]:
    """J score, F1, tokens per question (means) and search latency of `rows`."""
    ms = np.array([r.search_ms for r in rows])
    return {
        "questions": len(rows),
        "j_score": _mean([int(r.correct) for r in rows]),
        "f1": _mean([r.f1 for r in rows]),
        "answer_prompt_tokens": _mean([r.answer_prompt_tokens for r in rows]),
        "answer_completion_tokens": _mean([r.answer_completion_tokens for r in rows]),
        "judge_prompt_tokens": _mean([r.judge_prompt_tokens for r in rows]),
        "judge_completion_tokens": _mean([r.judge_completion_tokens for r in rows]),
        "search_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "search_ms_p95": round(float(np.percentile(ms, 95)), 1),
    }


def summarize(rows: list[Row], categories: dict[int, str]) -> dict[str, dict[str, Any]]:
    """`group_summary` per category (named by `categories`, those with questions) and overall."""
    table = {
        name: group_summary([r for r in rows if r.category == c])
        for c, name in categories.items()
        if any(r.category == c for r in rows)
    }
    if rows:
        table["overall"] = group_summary(rows)
    return table

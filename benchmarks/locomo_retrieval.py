"""LoCoMo evidence retrieval: graphmem search against BM25 and dense MiniLM over raw turns.

Each conversation of ``../shared/data/locomo/locomo_dev.json`` is ingested in order with
`Memory.add_many` (batches of `BATCH` turns; the same graph as one `add` per turn, see
tests/test_add_many.py; offline extractor, MiniLM embedder, the session date as the timestamp,
the turn's ``dia_id`` in metadata), one user per conversation. Every question of categories 1-4
is then asked three ways, and evidence recall@k is the share of the question's evidence
``dia_id``s among the first k DISTINCT turns each system ranks (strict: a result's sources
count in the order given, so a fact citing five turns takes five of the k):

* graphmem: `search(question, user_id=conversation, limit=10)`; a fact's sources are the turns
  it was extracted from, an episode's source is itself;
* BM25 (Okapi, k1=1.5, b=0.75) over the raw turns of the conversation, computed here;
* dense: MiniLM cosine over the raw turns (the same model graphmem uses).

``graphmem_lenient@k`` is the count used before: every source of the top-k results, however
many turns that is.

    .venv/bin/python benchmarks/locomo_retrieval.py                  # all conversations
    .venv/bin/python benchmarks/locomo_retrieval.py --conversations 1  # quick

To iterate on search, ingest once into a kept store and search it again and again:

    .venv/bin/python benchmarks/locomo_retrieval.py --home /tmp/locomo --ingest-only
    .venv/bin/python benchmarks/locomo_retrieval.py --home /tmp/locomo --conversations 1

Prints a table and writes ``benchmarks/results/locomo_retrieval.json`` and ``.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from graphmem import Memory

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parent.parent / "shared" / "data" / "locomo" / "locomo_dev.json"
RESULTS = ROOT / "results"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
KS = (5, 10)
SYSTEMS = ("graphmem", "bm25", "dense")
BATCH = 100  # turns per add_many call
_WORD = re.compile(r"\w+")


def turns_of(conv: dict[str, Any]) -> list[dict[str, Any]]:
    """Every turn in order, with its session's time."""
    c = conv["conversation"]
    out = []
    sessions = sorted(
        (int(k.split("_")[1]) for k in c if re.fullmatch(r"session_\d+", k)),
    )
    for n in sessions:
        when = datetime.strptime(c[f"session_{n}_date_time"], "%I:%M %p on %d %B, %Y")
        for turn in c[f"session_{n}"]:
            text = turn["text"]
            if turn.get("blip_caption"):
                text = f"{text} [shares a photo: {turn['blip_caption']}]"
            out.append(
                {
                    "dia_id": turn["dia_id"],
                    "speaker": turn["speaker"],
                    "text": text,
                    "when": when.replace(tzinfo=timezone.utc).isoformat(),
                }
            )
    return out


def questions_of(conv: dict[str, Any]) -> list[dict[str, Any]]:
    """The questions of categories 1-4 that cite evidence, with their gold answer (category
    5, adversarial, is excluded as the field does)."""
    out = []
    for qa in conv["qa"]:
        if qa["category"] not in CATEGORIES:
            continue
        evidence = {e.strip() for ev in qa["evidence"] for e in str(ev).split(";") if e.strip()}
        if evidence:
            out.append(
                {
                    "question": qa["question"],
                    "category": qa["category"],
                    "evidence": evidence,
                    "answer": str(qa["answer"]),
                }
            )
    return out


class BM25:
    """Okapi BM25 over a fixed list of documents (pure Python + numpy)."""

    def __init__(self, docs: list[str], k1: float = 1.5, b: float = 0.75) -> None:
        self.tokens = [_WORD.findall(d.lower()) for d in docs]
        self.k1, self.b = k1, b
        self.lengths = np.array([len(t) for t in self.tokens], dtype=float)
        self.avg = float(self.lengths.mean()) if len(docs) else 0.0
        self.tf = [Counter(t) for t in self.tokens]
        df: Counter[str] = Counter()
        for t in self.tokens:
            df.update(set(t))
        n = len(docs)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(len(self.tokens))
        for w in set(_WORD.findall(query.lower())):
            idf = self.idf.get(w)
            if idf is None:
                continue
            tf = np.array([c.get(w, 0) for c in self.tf], dtype=float)
            norm = self.k1 * (1 - self.b + self.b * self.lengths / self.avg)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out


def recall(found: list[str], evidence: set[str], k: int) -> float:
    """Share of `evidence` among the first k distinct ids of `found`."""
    top: list[str] = []
    for d in found:
        if d not in top:
            top.append(d)
    return len(evidence & set(top[:k])) / len(evidence)


def graphmem_ranked(results: list[dict[str, Any]]) -> list[str]:
    """dia_ids cited by `results`, in result order (a result's sources in the order given)."""
    out: list[str] = []
    for r in results:
        for s in r.get("sources") or []:
            dia = (s.get("metadata") or {}).get("dia_id")
            if dia:
                out.append(dia)
    return out


def turn_item(user: str, turn: dict[str, Any]) -> dict[str, Any]:
    """One turn as this benchmark stores it (`Memory.add`'s arguments): the speaker's message,
    its ``dia_id`` in metadata, the session time as the timestamp."""
    return {
        "messages": {"role": "user", "content": turn["text"], "name": turn["speaker"]},
        "user_id": user,
        "metadata": {"dia_id": turn["dia_id"]},
        "timestamp": turn["when"],
    }


def ingest(m: Memory, user: str, turns: list[dict[str, Any]], home: Path) -> float | None:
    """Add `turns` as `user` unless `home` already holds them (an ``ingested-<user>`` marker
    there: a kept store is ingested once); the seconds it took, None when nothing was done."""
    done = home / f"ingested-{user}"
    if done.exists():
        return None
    t0 = time.perf_counter()
    for i in range(0, len(turns), BATCH):
        m.add_many([turn_item(user, t) for t in turns[i : i + BATCH]])
        print(f"  {user}: {i + BATCH}/{len(turns)} turns", file=sys.stderr)
    done.touch()
    return time.perf_counter() - t0


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = json.loads(DATA.read_text())[: args.conversations]
    home = args.home or tempfile.mkdtemp(prefix="graphmem-locomo-")
    Path(home).mkdir(parents=True, exist_ok=True)
    config = {"store": {"home": home, "heap": "2g"}, "extractor": "offline"}
    per_q: list[dict[str, Any]] = []
    timing: dict[str, Any] = {"ingest_s": 0.0, "turns": 0, "ingested": 0, "search_ms": []}
    with Memory(config) as m:
        for conv in data:
            user = conv["sample_id"]
            turns = turns_of(conv)
            took = ingest(m, user, turns, Path(home))
            if took is not None:
                timing["ingest_s"] += took
                timing["ingested"] += len(turns)
            timing["turns"] += len(turns)
            if args.ingest_only:
                continue
            texts = [t["text"] for t in turns]
            ids = [t["dia_id"] for t in turns]
            bm25 = BM25(texts)
            dense = np.array(m.embedder.embed(texts))
            for q in questions_of(conv):
                row = {"conversation": user, "category": q["category"], "question": q["question"]}
                t1 = time.perf_counter()
                res = m.search(q["question"], user_id=user, limit=max(KS))["results"]
                timing["search_ms"].append((time.perf_counter() - t1) * 1000)
                qv = np.array(m.embedder.embed([q["question"]])[0])
                bm25_order = np.argsort(-bm25.scores(q["question"]), kind="stable")
                dense_order = np.argsort(-(dense @ qv), kind="stable")
                ranked = {
                    "bm25": [ids[i] for i in bm25_order],
                    "dense": [ids[i] for i in dense_order],
                }
                for k in KS:
                    row[f"graphmem@{k}"] = recall(graphmem_ranked(res), q["evidence"], k)
                    lenient = graphmem_ranked(res[:k])
                    row[f"graphmem_lenient@{k}"] = recall(lenient, q["evidence"], 10**6)
                    for name in ("bm25", "dense"):
                        row[f"{name}@{k}"] = recall(ranked[name], q["evidence"], k)
                row["graphmem_types@10"] = [r["type"] for r in res[:10]]
                per_q.append(row)
            print(f"{user}: {len(turns)} turns, {len(per_q)} questions so far", file=sys.stderr)
    if args.ingest_only:
        return {}
    return summarize(per_q, timing, args)


def summarize(per_q: list[dict[str, Any]], timing: dict[str, Any], args: Any) -> dict[str, Any]:
    table: dict[str, dict[str, float]] = {}
    groups = {**{name: [q for q in per_q if q["category"] == c] for c, name in CATEGORIES.items()}}
    groups["overall"] = per_q
    for group, rows in groups.items():
        if not rows:
            continue
        table[group] = {"questions": len(rows)}
        for system in (*SYSTEMS, "graphmem_lenient"):
            for k in KS:
                table[group][f"{system}@{k}"] = round(
                    float(np.mean([r[f"{system}@{k}"] for r in rows])), 4
                )
    fact_share = [
        sum(t == "fact" for t in r["graphmem_types@10"]) / max(1, len(r["graphmem_types@10"]))
        for r in per_q
    ]
    searches = np.array(timing["search_ms"])
    return {
        "targets": targets(table),
        "conversations": args.conversations,
        "questions": len(per_q),
        "turns": timing["turns"],
        "ingest_ms_per_turn": round(1000 * timing["ingest_s"] / max(1, timing["ingested"]), 1)
        if timing["ingested"]
        else None,
        "search_ms_p50": round(float(np.percentile(searches, 50)), 1),
        "search_ms_p95": round(float(np.percentile(searches, 95)), 1),
        "fact_share_of_top10": round(float(np.mean(fact_share)), 3),
        "recall": table,
    }


def targets(table: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """The retrieval targets (graphmem@10 against BM25@10 of the same run): overall >= 1.3x,
    multi-hop >= 2x, every category >= BM25 + 0.03."""
    out: dict[str, dict[str, Any]] = {}

    def check(name: str, got: float, need: float) -> None:
        out[name] = {"got": round(got, 4), "need": round(need, 4), "met": got >= need}

    if "overall" in table:
        row = table["overall"]
        check("overall >= 1.3x bm25", row["graphmem@10"], 1.3 * row["bm25@10"])
    if "multi-hop" in table:
        row = table["multi-hop"]
        check("multi-hop >= 2x bm25", row["graphmem@10"], 2 * row["bm25@10"])
    for group in CATEGORIES.values():
        if group in table:
            row = table[group]
            check(f"{group} >= bm25 + 0.03", row["graphmem@10"], row["bm25@10"] + 0.03)
    return out


def report(summary: dict[str, Any], out: Path) -> None:
    cols = [f"{s}@{k}" for s in (*SYSTEMS, "graphmem_lenient") for k in KS]
    print(f"\nLoCoMo evidence recall ({summary['questions']} questions, categories 1-4)")
    print(f"{'category':<12} {'n':>4} " + " ".join(f"{c:>11}" for c in cols))
    for group, row in summary["recall"].items():
        print(f"{group:<12} {row['questions']:>4} " + " ".join(f"{row[c]:>11.3f}" for c in cols))
    print(
        f"ingest {summary['ingest_ms_per_turn']} ms/turn; search p50 {summary['search_ms_p50']} "
        f"ms, p95 {summary['search_ms_p95']} ms; facts are "
        f"{summary['fact_share_of_top10']:.0%} of graphmem's top 10"
    )
    for name, t in summary["targets"].items():
        verdict = "met" if t["met"] else "MISSED"
        print(f"target {name}: {t['got']:.3f} (needs {t['need']:.3f}) {verdict}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    chart(summary, out.with_suffix(".png"))


def chart(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(summary["recall"])
    x = np.arange(len(groups))
    fig, ax = plt.subplots(figsize=(9, 4))
    for i, system in enumerate(SYSTEMS):
        vals = [summary["recall"][g][f"{system}@10"] for g in groups]
        ax.bar(x + (i - 1) * 0.27, vals, 0.27, label=system)
    ax.set_xticks(x, groups)
    ax.set_ylabel("evidence recall@10")
    ax.set_ylim(0, 1)
    ax.set_title(f"LoCoMo retrieval ({summary['questions']} questions)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=5, help="how many (1 = quick)")
    parser.add_argument("--out", default=str(RESULTS / "locomo_retrieval"), help="path stem")
    parser.add_argument("--home", help="keep the store here and reuse what it already ingested")
    parser.add_argument("--ingest-only", action="store_true", help="ingest into --home, no search")
    args = parser.parse_args()
    summary = run(args)
    if not args.ingest_only:
        report(summary, Path(args.out))


if __name__ == "__main__":
    main()

"""Search latency on a conversation store, with a breakdown of every search.

The store is the dev LoCoMo conversations ingested in order (offline extractor, MiniLM),
kept in `--home` and ingested once (`locomo_retrieval.py --ingest-only` when missing). Every
question of categories 1-4 is asked with `search(question, user_id=conversation, limit=10)`,
the query embedding included, twice:

1. **in-process**: a child process opens `Memory()` with no server, so the engine's JVM runs
   inside it;
2. **served**: `graphmem serve` owns the engine and a child process's `Memory()` reaches it
   over Bolt (the models stay in the child).

Each search is driven step by step (`graphmem.store.drivers.drive`), so its time splits into:
the query embedding; every store statement (name, rows, milliseconds; the entry points'
concurrent statements also as the wall time of their batch); the Python between steps,
named by where it runs (`parse`: argument checks and the query's parse, before the first
step; `rank`: scoring, before the first statement that reads the results' records; `shape`:
after the last step; `python`: the rest); and garbage collection (`gc.callbacks`).

The baseline, measured in the same process: brute-force dense retrieval, i.e. the same query
embedding, then numpy cosine over every episode vector of the conversation (read once
beforehand) and the top 10.

    .venv/bin/python benchmarks/conversation_search.py --home /tmp/locomo
    .venv/bin/python benchmarks/conversation_search.py --home /tmp/locomo --quick  # 60 questions

Targets (issue 14): p50 <= 30 ms, p95 <= 60 ms. Prints a table and writes
``benchmarks/results/conversation_search.json`` (``_quick`` with --quick).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from locomo_retrieval import DATA, questions_of  # noqa: E402
from serve_bench import ensure_ingested, serving  # noqa: E402

RESULTS = ROOT / "results"
WARMUP = 5
SLOWEST = 8  # searches listed in full
RESULT_READS = ("search_facts", "search_sources")  # statements that read the results' records


def percentiles(ms: list[float]) -> dict[str, float]:
    """n, p50, p95, p99 and max of timings in milliseconds."""
    if not ms:
        return {"n": 0}
    ordered = sorted(ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {"n": len(ms), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": at(1.0)}


class Breakdown:
    """The parts of one search, as they happen."""

    def __init__(self) -> None:
        self.parts: list[dict[str, Any]] = []
        self.gc_ms = 0.0
        self._gc_started: float | None = None

    def add(self, kind: str, name: str, ms: float, rows: int | None = None) -> None:
        part: dict[str, Any] = {"kind": kind, "name": name, "ms": round(ms, 3)}
        if rows is not None:
            part["rows"] = rows
        self.parts.append(part)

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            self.gc_ms += (time.perf_counter() - self._gc_started) * 1000
            self._gc_started = None


def timed_search(m: Any, question: str, user: str) -> tuple[float, Breakdown]:
    """One `search`, driven step by step with every part timed."""
    from graphmem import search as retrieval
    from graphmem.effects import Compute, Read, ReadAll
    from graphmem.store.drivers import drive

    b = Breakdown()
    store = m.store
    pool = _pool()
    clock = [time.perf_counter()]
    seen_result_read = [False]

    def python_gap(label: str) -> None:
        now = time.perf_counter()
        b.add("python", label, (now - clock[0]) * 1000)
        clock[0] = now

    def one(q: Any) -> tuple[Any, float]:
        t0 = time.perf_counter()
        rows = store.read(q)
        return rows, (time.perf_counter() - t0) * 1000

    def answer(step: Any) -> Any:
        first = not b.parts
        label = "parse" if first else "python"
        if isinstance(step, Read) and step.query.name in RESULT_READS and not seen_result_read[0]:
            label, seen_result_read[0] = "rank", True
        python_gap(label)
        try:
            if isinstance(step, Compute):
                out = step.fn(*step.args)
                b.add("embedding" if step.fn == m.context.embed else "compute", "compute", 0)
            elif isinstance(step, Read):
                out, ms = one(step.query)
                b.add("statement", step.query.name, ms, len(out))
                return out
            elif isinstance(step, ReadAll):
                t0 = time.perf_counter()
                futures = [pool.submit(one, q) for q in step.queries]
                answers = [f.result() for f in futures]
                wall = (time.perf_counter() - t0) * 1000
                for q, (rows, ms) in zip(step.queries, answers, strict=True):
                    b.add("statement", q.name, ms, len(rows))
                b.add("batch", f"{len(step.queries)} at once", wall)
                return [rows for rows, _ in answers]
            else:
                raise TypeError(f"search yielded an unexpected step: {step!r}")
            return out
        finally:
            now = time.perf_counter()
            if isinstance(step, Compute):
                b.parts[-1]["ms"] = round((now - clock[0]) * 1000, 3)
            clock[0] = now

    gc.callbacks.append(b.on_gc)
    try:
        t0 = time.perf_counter()
        clock[0] = t0
        drive(retrieval.search(m.context, question, user_id=user, limit=10), answer)
        python_gap("shape")
        total = (time.perf_counter() - t0) * 1000
    finally:
        gc.callbacks.remove(b.on_gc)
    return total, b


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """Threads for the entry points' concurrent reads, as `GraphStore.read_all` has them."""
    from graphmem.store.graph_store import READ_THREADS

    return ThreadPoolExecutor(READ_THREADS)


def summarize(searches: list[dict[str, Any]]) -> dict[str, Any]:
    """Percentiles of the totals and of each part (summed per search), and the slowest ones."""
    per: dict[str, list[float]] = defaultdict(list)
    rows: dict[str, list[int]] = defaultdict(list)
    for s in searches:
        sums: dict[str, float] = defaultdict(float)
        for p in s["parts"]:
            key = p["kind"] if p["kind"] in ("embedding", "batch") else f"{p['kind']}:{p['name']}"
            sums[key] += p["ms"]
            if p["kind"] == "statement":
                sums["statements (sum)"] += p["ms"]
                rows[p["name"]].append(p["rows"])
            if p["kind"] in ("embedding", "python"):
                sums["outside the store"] += p["ms"]
        sums["gc"] = s["gc_ms"]
        sums["round trips"] = sum(1 for p in s["parts"] if p["kind"] in ("statement",))
        for key, value in sums.items():
            per[key].append(value)
    slowest = sorted(searches, key=lambda s: -s["ms"])[:SLOWEST]
    return {
        "search": percentiles([s["ms"] for s in searches]),
        "parts": {k: percentiles(v) for k, v in sorted(per.items())},
        "rows": {k: {"p50": float(np.median(v)), "max": max(v)} for k, v in sorted(rows.items())},
        "slowest": slowest,
    }


def dense_baseline(m: Any, work: list[dict[str, Any]]) -> dict[str, Any]:
    """Brute force: the query embedding, then numpy cosine over the conversation's episodes."""
    matrices: dict[str, np.ndarray] = {}
    for user in sorted({q["user"] for q in work}):
        rows = m.query("MATCH (e:Episode {owner: $owner}) RETURN e.embedding AS v", user_id=user)
        matrices[user] = np.asarray([r["v"] for r in rows if r["v"]], dtype=np.float32)
    ms = []
    for q in work:
        t0 = time.perf_counter()
        vector = np.asarray(m.embedder.embed([q["question"]])[0], dtype=np.float32)
        scores = matrices[q["user"]] @ vector
        np.argsort(-scores)[:10]
        ms.append((time.perf_counter() - t0) * 1000)
    return percentiles(ms)


def round_trip_floor(m: Any, rounds: int) -> dict[str, Any]:
    """The smallest statement, read `rounds` times: the floor of one round trip."""
    from statements import statement

    from graphmem.effects import query

    ms = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        m.store.read(query(statement("bench_round_trip")))
        ms.append((time.perf_counter() - t0) * 1000)
    return percentiles(ms)


def phase(config_file: Path, work: list[dict[str, Any]]) -> dict[str, Any]:
    """One library phase, in a process of its own (`Memory()` on the home)."""
    from graphmem import Memory, MemoryConfig

    with Memory(MemoryConfig.from_file(config_file)) as m:
        for q in work[:WARMUP]:
            m.search(q["question"], user_id=q["user"], limit=10)
        searches = []
        for q in work:
            ms, b = timed_search(m, q["question"], q["user"])
            searches.append(
                {
                    "question": q["question"],
                    "user": q["user"],
                    "ms": round(ms, 2),
                    "gc_ms": round(b.gc_ms, 3),
                    "parts": b.parts,
                }
            )
        out = summarize(searches)
        out["engine_in_this_process"] = not m.store.can_take_over
        out["dense_baseline"] = dense_baseline(m, work)
        out["round_trip_floor"] = round_trip_floor(m, 200)
    return out


def questions(limit: int | None) -> list[dict[str, Any]]:
    """Every question of categories 1-4, conversation by conversation (the first `limit`,
    spread over the conversations, with --quick)."""
    data = json.loads(DATA.read_text())
    asked = [
        {"user": conv["sample_id"], "question": q["question"]}
        for conv in data
        for q in questions_of(conv)
    ]
    if limit is None:
        return asked
    step = max(1, len(asked) // limit)
    return asked[::step][:limit]


def child(config_file: Path, work_file: Path, script: str = __file__) -> dict[str, Any]:
    """Run `script --phase` (its `phase`) in a fresh process (so the JVM of one phase never
    serves the other); its result is the last line it prints (`finish_phase`)."""
    done = subprocess.run(
        [sys.executable, script, "--phase", "--config", str(config_file)]
        + ["--work", str(work_file)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"phase failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def finish_phase(result: dict[str, Any]) -> NoReturn:
    """End a phase's process: its result as the last line of output, the engine stopped."""
    print(json.dumps(result))
    sys.stdout.flush()
    from graphmem.store.embedded import stop_all

    stop_all()
    os._exit(0)


def report(r: dict[str, Any]) -> None:
    print(f"\n{r['questions']} searches on the LoCoMo dev store; milliseconds")
    head = f"{'':<34}" + "".join(f"{k:>9}" for k in ("p50", "p95", "p99", "max"))
    for key in ("in_process", "served"):
        print(f"\n{key}\n{head}")
        p = r[key]
        lines = [("search", p["search"]), ("baseline: dense brute force", p["dense_baseline"])]
        lines += [(name, v) for name, v in p["parts"].items()]
        lines += [("round trip floor", p["round_trip_floor"])]
        for name, v in lines:
            if v.get("n"):
                cells = "".join(f"{v[k]:>9.1f}" for k in ("p50", "p95", "p99", "max"))
                print(f"{name[:34]:<34}{cells}")
    print(json.dumps(r["checks"], indent=2))


def checks(r: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets against this run's numbers."""
    out = {}
    for key in ("in_process", "served"):
        s = r[key]["search"]
        out[f"{key}_p50_at_most_30_ms"] = s["p50"] <= 30
        out[f"{key}_p95_at_most_60_ms"] = s["p95"] <= 60
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, help="kept LoCoMo store (default: a new temp dir)")
    parser.add_argument("--quick", action="store_true", help="60 questions")
    parser.add_argument("--phase", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        finish_phase(phase(args.config, json.loads(args.work.read_text())))
    home = (args.home or Path(tempfile.mkdtemp(prefix="graphmem-conv-search-"))).resolve()
    ensure_ingested(home)
    scratch = Path(tempfile.mkdtemp(prefix="conv-search-"))
    config_file = scratch / "config.json"
    config_file.write_text(json.dumps({"store": {"home": str(home), "heap": "2g"}}))
    work = questions(60 if args.quick else None)
    work_file = scratch / "work.json"
    work_file.write_text(json.dumps(work))
    results: dict[str, Any] = {"home": str(home), "questions": len(work), "cores": os.cpu_count()}
    print("in-process ...", file=sys.stderr)
    results["in_process"] = child(config_file, work_file)
    with serving(config_file, home):
        print("served ...", file=sys.stderr)
        results["served"] = child(config_file, work_file)
    results["checks"] = checks(results)
    report(results)
    RESULTS.mkdir(exist_ok=True)
    name = "conversation_search_quick.json" if args.quick else "conversation_search.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Bulk ingest benchmark: the LoCoMo dev conversations through `Memory.ingest` (batched with
`add_many`) against a plain `Memory.add` loop, offline extractor, MiniLM embedder by default.

Measures, in a temporary GRAPHMEM home of its own (embedded ArcadeDB in this process):

0. warm-up: the models, and the store's JIT (a small ingest and a few ``add`` calls into users
   of their own), so that nothing timed runs on a cold engine;
1. baseline: a plain loop of ``Memory.add`` (one message per call, the same speaker, time and
   metadata) over the first ``--baseline`` messages, into users of its own;
2. the same messages through ``Memory.add_many``, ``--batch-size`` per call, into users of their
   own: the ratio to the baseline on identical work;
3. ``Memory.ingest`` of the whole LoCoMo file (all dev messages, or ``--quick``'s first ones),
   batched the same way: messages/s, and its ratio to the baseline rate (the later
   conversations' messages are not the baseline's, so this ratio compares rates only);
4. where the time goes, for each: the embedding calls, extraction, the write transactions
   (their statements, and the reconciliation they drive in Python), the reads before them, and
   the rest; per message, and per batch for ingest, with the statements counted and timed
   (each from its start to the next statement's: its round trip and the work on its rows);
5. single ``add()`` latency for one short message (p50 / p95, and where its time goes);
6. the resume path: the same ingest again, where every message is recognised and skipped;
7. ``ingest(infer=False)`` (episodes only), which shows what extraction costs;
8. peak resident memory (RSS) of the process, which includes the in-process JVM of the store,
   spaCy and the embedding model.

Usage::

    python benchmarks/ingest_bench.py            # full run (all LoCoMo dev messages)
    python benchmarks/ingest_bench.py --quick    # the first messages only (a smoke test)

Prints a table and PASS/FAIL per target (ingest >= 100 messages/s, and >= 8x the ``add``
loop's rate in the same run), and writes ``benchmarks/results/ingest_bench.json``
(``ingest_bench_quick.json`` for --quick).
The LoCoMo file is read from ``/work/shared/data/locomo/locomo_dev.json`` (``--data``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphmem import Memory  # noqa: E402
from graphmem.ingest import load_items  # noqa: E402
from graphmem.messages import normalize_messages  # noqa: E402

DATA = Path("/work/shared/data/locomo/locomo_dev.json")
QUICK_MESSAGES, QUICK_BASELINE = 120, 60
WARM_UP_MESSAGES, WARM_UP_ADDS = 100, 30
SHORT = [
    "I live in Paris.",
    "I work at Acme.",
    "My sister Emma lives in Rome.",
    "I love jazz.",
    "Thanks, see you tomorrow!",
]
# The parts of an operation's time; "other" is the rest (validation, Python glue, the driver).
PARTS = ("embed", "extract", "write", "read")
# The targets (issue 14): ingest's rate, and its ratio to the add() loop's rate in the same run.
TARGET_RATE, TARGET_RATIO = 100.0, 8.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timers:
    """Time spent in (and calls of) the embedder, the extractor and the store, by wrapping
    those methods on the Memory's own instances."""

    def __init__(self, m: Memory) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.texts = 0  # texts embedded
        self.statements: Counter[str] = Counter()  # statements run, by name
        self._wrap(m.embedder, "embed", "embed", count=lambda a: len(a[0]))
        extractor = m.extractor
        self._wrap(extractor, "extract", "extract")
        if hasattr(extractor, "extract_batch"):
            self._wrap(extractor, "extract_batch", "extract")
        self.statement_seconds: Counter[str] = Counter()  # see `counted`
        self._last: tuple[str, float] | None = None
        self._wrap(m.store, "write", "write", done=self._settle)
        self._wrap(m.store, "read", "read", done=self._settle)
        text = m.store.statement_text

        def counted(q: Any) -> str:
            """Count the statement; the time from one statement to the next (its round trip,
            and the Python work on its rows) goes to the first one, the rest of a transaction
            (the commit) to its last statement."""
            self._settle()
            self.statements[q.name] += 1
            self._last = (q.name, time.perf_counter())
            return text(q)

        m.store.statement_text = counted  # type: ignore[method-assign]

    def _settle(self) -> None:
        if self._last is not None:
            name, started = self._last
            self.statement_seconds[name] += time.perf_counter() - started
            self._last = None

    def _wrap(
        self,
        obj: Any,
        attr: str,
        part: str,
        count: Callable[[tuple[Any, ...]], int] | None = None,
        done: Callable[[], None] | None = None,
    ) -> None:
        fn = getattr(obj, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if done is not None:
                    done()
                self.seconds[part] += time.perf_counter() - started
                self.calls[part] += 1
                if count is not None:
                    self.texts += count(args)

        setattr(obj, attr, timed)

    @contextmanager
    def measure(self, into: dict[str, Any], *, messages: int, batches: int = 0) -> Iterator[None]:
        """Time the block and write where its time went into `into`."""
        seconds, calls = Counter(self.seconds), Counter(self.calls)
        texts, statements = self.texts, Counter(self.statements)
        statement_seconds = Counter(self.statement_seconds)
        started = time.perf_counter()
        yield
        total = time.perf_counter() - started
        spent = {p: self.seconds[p] - seconds[p] for p in PARTS}
        spent["other"] = total - sum(spent.values())
        ran = self.statements - statements
        took = self.statement_seconds - statement_seconds
        into["breakdown"] = {
            "ms_per_message": {p: round(1000 * s / messages, 2) for p, s in spent.items()},
            "share": {p: round(s / total, 3) for p, s in spent.items()},
            "embed_calls": self.calls["embed"] - calls["embed"],
            "texts_embedded": self.texts - texts,
            "write_transactions": self.calls["write"] - calls["write"],
            "reads": self.calls["read"] - calls["read"],
            "statements": sum(ran.values()),
            "statements_per_message": round(sum(ran.values()) / messages, 2),
            "top_statements": dict(ran.most_common(8)),
            "statement_ms_per_message": {
                name: round(1000 * spent / messages, 2) for name, spent in took.most_common(8)
            },
        }
        if batches:
            into["breakdown"]["ms_per_batch"] = {
                p: round(1000 * s / batches, 1) for p, s in spent.items()
            }
            into["breakdown"]["batches"] = batches


def run(
    data: Path, *, quick: bool, embedder: str, baseline_n: int, batch_size: int, home: Path
) -> dict[str, Any]:
    items = load_items(data)
    limit = QUICK_MESSAGES if quick else len(items)
    baseline_n = min(baseline_n, limit)
    config = {"store": {"home": str(home)}, "embedder": {"provider": embedder}}
    results: dict[str, Any] = {"messages_in_file": len(items), "messages": limit}
    with Memory(config) as m:
        started = time.perf_counter()
        hello = normalize_messages("Hello, I live in Paris.")
        m.extractor.extract(
            hello, speaker="x", occurred_at="2024-01-01T00:00:00+00:00", existing=None
        )
        m.embedder.embed(["warm up"])
        m.embedder.embed(["warm up", *SHORT * 4])  # the batch path of the embedder too
        # The engine's JIT compiles its hot paths over the first statements: warm it with
        # both write paths (into users of their own) before anything is timed.
        m.ingest(data, limit=WARM_UP_MESSAGES, user_id="warm-up", progress=False)
        for i, item in enumerate(items[:WARM_UP_ADDS]):
            m.add(item.content, user_id=f"warm-up-{i % 4}", timestamp=item.timestamp)
        results["warm_up_seconds"] = round(time.perf_counter() - started, 2)
        results["embedder_runtime"] = getattr(m.embedder, "runtime", None)
        timers = Timers(m)

        baseline: dict[str, Any] = {"messages": baseline_n}
        with timers.measure(baseline, messages=baseline_n):
            started = time.perf_counter()
            for item in items[:baseline_n]:
                m.add(
                    {"role": item.role, "content": item.content, "name": item.name},
                    user_id="baseline-" + (item.scope.user_id or ""),
                    run_id=item.scope.run_id,
                    metadata=item.metadata,
                    timestamp=item.timestamp,
                )
            seconds = time.perf_counter() - started
        baseline["seconds"] = round(seconds, 2)
        baseline["messages_per_second"] = round(baseline_n / seconds, 2)
        results["baseline_add_loop"] = baseline

        same: dict[str, Any] = {"messages": baseline_n, "batch_size": batch_size}
        with timers.measure(same, messages=baseline_n, batches=-(-baseline_n // batch_size)):
            started = time.perf_counter()
            for first in range(0, baseline_n, batch_size):
                m.add_many(
                    [
                        {
                            "messages": {"role": i.role, "content": i.content, "name": i.name},
                            "user_id": "batched-" + (i.scope.user_id or ""),
                            "run_id": i.scope.run_id,
                            "metadata": i.metadata,
                            "timestamp": i.timestamp,
                        }
                        for i in items[first : min(first + batch_size, baseline_n)]
                    ]
                )
            seconds = time.perf_counter() - started
        same["seconds"] = round(seconds, 2)
        same["messages_per_second"] = round(baseline_n / seconds, 2)
        results["add_many_same_messages"] = same
        results["add_many_vs_add_loop"] = round(
            same["messages_per_second"] / baseline["messages_per_second"], 2
        )

        ingest: dict[str, Any] = {"batch_size": batch_size}
        batches = -(-limit // batch_size)
        with timers.measure(ingest, messages=limit, batches=batches):
            summary = m.ingest(data, limit=limit, batch_size=batch_size)
        ingest.update(summary)
        results["ingest"] = ingest
        results["ingest_vs_add_loop"] = round(
            summary["messages_per_second"] / baseline["messages_per_second"], 2
        )

        latencies = []
        single: dict[str, Any] = {}
        rounds = 10 if quick else 40
        with timers.measure(single, messages=rounds):
            for i in range(rounds):
                started = time.perf_counter()
                m.add(SHORT[i % len(SHORT)], user_id=f"latency-{i % 4}")
                latencies.append(1000 * (time.perf_counter() - started))
        latencies.sort()
        single["messages"] = rounds
        single["p50_ms"] = round(statistics.median(latencies), 1)
        single["p95_ms"] = round(latencies[int(0.95 * (len(latencies) - 1))], 1)
        results["single_add_latency"] = single

        started = time.perf_counter()
        again = m.ingest(data, limit=limit, batch_size=batch_size)
        seconds = time.perf_counter() - started
        results["resume_skip_all"] = {
            "skipped": again["skipped"],
            "stored": again["stored"],
            "seconds": round(seconds, 2),
            "messages_per_second": round(limit / seconds, 1),
        }
        episodes_only = m.ingest(
            data, limit=limit, batch_size=batch_size, infer=False, user_id="raw"
        )
        results["ingest_no_infer"] = {
            "stored": episodes_only["stored"],
            "seconds": episodes_only["seconds"],
            "messages_per_second": episodes_only["messages_per_second"],
        }
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return results


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """PASS/FAIL per target (INFO: reported, no target)."""
    rate, ratio = results["ingest"]["messages_per_second"], results["ingest_vs_add_loop"]
    return [
        {
            "target": f"ingest >= {TARGET_RATE:g} messages/s",
            "value": rate,
            "pass": rate >= TARGET_RATE,
        },
        {
            "target": f"ingest >= {TARGET_RATIO:g}x the add() loop's rate, same run",
            "value": ratio,
            "pass": ratio >= TARGET_RATIO,
        },
        {
            "target": "(info) add_many / add() loop on the same messages",
            "value": results["add_many_vs_add_loop"],
            "pass": None,
        },
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first messages only")
    parser.add_argument("--data", type=Path, default=DATA, help="LoCoMo JSON file")
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hashing"])
    parser.add_argument("--baseline", type=int, default=200, help="messages in the add() loop")
    parser.add_argument("--batch-size", type=int, default=100, help="messages per add_many")
    parser.add_argument("--out", type=Path, default=None, help="JSON output path")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"ingest_bench: {args.data} not found (pass --data)", file=sys.stderr)
        return 2
    home = Path(tempfile.mkdtemp(prefix="graphmem-ingest-bench-"))
    try:
        results = run(
            args.data,
            quick=args.quick,
            embedder=args.embedder,
            baseline_n=QUICK_BASELINE if args.quick else args.baseline,
            batch_size=args.batch_size,
            home=home,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report = {
        "benchmark": "ingest",
        "quick": args.quick,
        "extractor": "offline",
        "embedder": args.embedder,
        "data": str(args.data),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **results,
        "targets": evaluate(results),
    }
    ingest, base = results["ingest"], results["baseline_add_loop"]
    single = results["single_add_latency"]
    same = results["add_many_same_messages"]
    rows = [
        ("add() loop (baseline)", base["messages"], base["messages_per_second"]),
        (f"add_many x{same['batch_size']}, same msgs", same["messages"],
         same["messages_per_second"]),
        (f"ingest (add_many x{ingest['batch_size']})", ingest["stored"],
         ingest["messages_per_second"]),
        ("ingest again (all skipped)", results["resume_skip_all"]["skipped"],
         results["resume_skip_all"]["messages_per_second"]),
        ("ingest, infer=False", results["ingest_no_infer"]["stored"],
         results["ingest_no_infer"]["messages_per_second"]),
    ]  # fmt: skip
    print(f"\n{'run':<30} {'messages':>9} {'messages/s':>11}")
    for name, count, rate in rows:
        print(f"{name:<30} {count:>9} {rate:>11}")
    print(f"\nadd_many / add() loop, same messages: {results['add_many_vs_add_loop']}x")
    print(f"ingest / add() loop (rates): {results['ingest_vs_add_loop']}x")
    print(f"fact events: {ingest['events']}")
    print(f"\n{'ms per message':<22}" + "".join(f"{p:>9}" for p in (*PARTS, "other")))
    parts = (("add() loop", base), ("add_many, same msgs", same), ("ingest", ingest),
             ("single add()", single))  # fmt: skip
    for name, part in parts:
        spent = part["breakdown"]["ms_per_message"]
        print(f"{name:<22}" + "".join(f"{spent[p]:>9}" for p in (*PARTS, "other")))
    for name, part in parts:
        b = part["breakdown"]
        print(
            f"{name}: {b['statements_per_message']} statements/message, "
            f"{b['embed_calls']} embed calls ({b['texts_embedded']} texts), "
            f"{b['write_transactions']} write transactions, {b['reads']} reads"
        )
    print(f"single add(): p50 {single['p50_ms']} ms, p95 {single['p95_ms']} ms")
    for name, part in parts[:3]:
        took = part["breakdown"]["statement_ms_per_message"]
        print(f"{name}, ms per message by statement: " + ", ".join(
            f"{statement} {ms}" for statement, ms in took.items()))  # fmt: skip
    print(f"peak RSS: {results['peak_rss_mb']} MiB (includes the in-process JVM and models)")
    print(f"load average after: {report['load_average_after']} on {report['cores']} cores")
    print("== targets ==")
    for t in report["targets"]:
        verdict = "INFO" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
        print(f"  [{verdict}] {t['target']}: {t['value']}")
    name = "ingest_bench_quick.json" if args.quick else "ingest_bench.json"
    out = args.out or ROOT / "benchmarks" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

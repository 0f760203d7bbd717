"""Bulk ingest benchmark: the LoCoMo dev conversations through `Memory.ingest`, offline extractor.

Measures, in a temporary GRAPHMEM home of its own (embedded ArcadeDB in this process):

1. baseline: a plain loop of ``Memory.add`` (one message per call, the same speaker, time and
   metadata) over the first ``--baseline`` messages (a subset of what ingest loads, so the
   ratio in 2. compares rates, not identical work);
2. ``Memory.ingest`` of the same LoCoMo file (all 2,760 dev messages, or ``--quick``'s first
   ones): messages/s, and the ratio to the baseline measured in the same run;
3. the resume path: the same ingest again, where every message is recognised and skipped;
4. ``ingest(infer=False)`` (episodes only), which shows what extraction costs;
5. peak resident memory (RSS) of the process, which includes the in-process JVM of the store,
   spaCy and the embedding model.

Usage::

    python benchmarks/ingest_bench.py            # full run (all LoCoMo dev messages)
    python benchmarks/ingest_bench.py --quick    # the first 120 messages (a smoke test)

Prints a table and writes ``benchmarks/results/ingest_bench.json`` (``_quick`` for --quick).
The LoCoMo file is read from ``/work/shared/data/locomo/locomo_dev.json`` (``--data``).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphmem import Memory  # noqa: E402
from graphmem.ingest import load_items  # noqa: E402
from graphmem.messages import normalize_messages  # noqa: E402

DATA = Path("/work/shared/data/locomo/locomo_dev.json")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(data: Path, *, quick: bool, embedder: str, baseline_n: int, home: Path) -> dict[str, Any]:
    items = load_items(data)
    limit = 120 if quick else len(items)
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
        results["warm_up_seconds"] = round(time.perf_counter() - started, 2)

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
        results["baseline_add_loop"] = {
            "messages": baseline_n,
            "seconds": round(seconds, 2),
            "messages_per_second": round(baseline_n / seconds, 2),
        }

        summary = m.ingest(data, limit=limit, batch_size=200)
        results["ingest"] = summary
        results["ingest_vs_add_loop"] = round(
            summary["messages_per_second"] / results["baseline_add_loop"]["messages_per_second"],
            3,
        )
        started = time.perf_counter()
        again = m.ingest(data, limit=limit, batch_size=200)
        seconds = time.perf_counter() - started
        results["resume_skip_all"] = {
            "skipped": again["skipped"],
            "stored": again["stored"],
            "seconds": round(seconds, 2),
            "messages_per_second": round(limit / seconds, 1),
        }
        episodes_only = m.ingest(data, limit=limit, batch_size=200, infer=False, user_id="raw")
        results["ingest_no_infer"] = {
            "stored": episodes_only["stored"],
            "seconds": episodes_only["seconds"],
            "messages_per_second": episodes_only["messages_per_second"],
        }
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first 120 messages only")
    parser.add_argument("--data", type=Path, default=DATA, help="LoCoMo JSON file")
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hashing"])
    parser.add_argument("--baseline", type=int, default=200, help="messages in the add() loop")
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
            baseline_n=60 if args.quick else args.baseline,
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
        "cores": __import__("os").cpu_count(),
        **results,
    }
    ingest = results["ingest"]
    rows = [
        ("add() loop (baseline)", results["baseline_add_loop"]["messages"],
         results["baseline_add_loop"]["messages_per_second"]),
        ("ingest (offline extractor)", ingest["stored"], ingest["messages_per_second"]),
        ("ingest again (all skipped)", results["resume_skip_all"]["skipped"],
         results["resume_skip_all"]["messages_per_second"]),
        ("ingest, infer=False", results["ingest_no_infer"]["stored"],
         results["ingest_no_infer"]["messages_per_second"]),
    ]  # fmt: skip
    print(f"\n{'run':<30} {'messages':>9} {'messages/s':>11}")
    for name, count, rate in rows:
        print(f"{name:<30} {count:>9} {rate:>11}")
    print(f"\ningest / add() loop: {results['ingest_vs_add_loop']}x")
    print(f"fact events: {ingest['events']}")
    print(f"peak RSS: {results['peak_rss_mb']} MiB (includes the in-process JVM and models)")
    name = "ingest_bench_quick.json" if args.quick else "ingest_bench.json"
    out = args.out or ROOT / "benchmarks" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

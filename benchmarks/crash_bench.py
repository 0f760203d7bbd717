"""Crash benchmark (issue 17): kill -9 of ingesting processes and of `graphmem serve`, at scale.

The scenarios of tests/test_crash_ingest.py and tests/test_crash_serve.py with many more
faults, through the same helpers (tests/helpers/crash_ingest.py, tests/helpers/crash_serve.py,
whose docstrings say what is checked), in temporary homes:

1. ingest while another process runs the engine (this one): a child ingesting JSONL in
   batches of 10 is SIGKILLed at random points, the next child resumes;
2. ingest while the ingester runs the engine itself: each kill takes the engine down and the
   next ingester takes the home over (`--owner-kills` of the `--ingest-kills`);
3. `graphmem serve` SIGKILLed `--serve-kills` times while 3 REST clients write, restarted
   on the same home (at once, or once the killed server's engine exited, in turn).

    .venv/bin/python benchmarks/crash_bench.py                    # 100 + 10 kills
    .venv/bin/python benchmarks/crash_bench.py --ingest-kills 20 --owner-kills 2 --serve-kills 2

Prints a table (faults injected, operations, what was lost, stored in part or twice) and the
kill points by whole batches stored, and writes ``benchmarks/results/crash_bench.json``. Exit
status 1 when any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from graphmem import Memory  # noqa: E402
from graphmem.store.embedded import stop_all  # noqa: E402
from tests.helpers.crash_ingest import IngestReport, crash_ingest  # noqa: E402
from tests.helpers.crash_serve import crash_serve  # noqa: E402
from tests.helpers.served import DIMENSIONS  # noqa: E402

RESULTS = ROOT / "results"


def config_file(folder: Path) -> Path:
    """A store in `folder`/home with the test embedder, as a JSON configuration file."""
    path = folder / "config.json"
    config = {
        "store": {"home": str(folder / "home"), "heap": "512m"},
        "embedder": {"provider": "hashing", "dimensions": DIMENSIONS},
    }
    path.write_text(json.dumps(config))
    return path


def ingest_as_client(folder: Path, kills: int, rng: Random) -> IngestReport:
    """Scenario 1: this process runs the engine (a Memory kept open), the children connect."""
    config = config_file(folder)
    with Memory(json.loads(config.read_text())):
        return crash_ingest(config, folder, kills=kills, rng=rng)


def ingest_as_owner(folder: Path, kills: int, rng: Random) -> IngestReport:
    """Scenario 2: no process runs the engine but the ingesting child."""
    return crash_ingest(config_file(folder), folder, kills=kills, rng=rng)


def table(results: dict[str, Any]) -> str:
    """The results as a plain-text table."""
    rows = [("scenario", "faults", "operations", "problems", "seconds")]
    for name in ("ingest_as_client", "ingest_as_owner"):
        r = results[name]
        operations = f"{r['conversations'] * r['messages']} messages in {r['runs']} runs"
        rows.append((name, f"{r['kill_points']} kill -9", operations, str(len(r["problems"])),
                     str(r["seconds"])))  # fmt: skip
    s = results["serve"]
    acked = sum(s["acknowledged"].values())
    operations = f"{acked} writes acked, {s['answers_lost']} answers lost"
    rows.append(("serve", f"{s['kills']} kill -9", operations, str(len(s["problems"])),
                 str(s["seconds"])))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ingest-kills", type=int, default=100, help="kill points in all")
    parser.add_argument("--owner-kills", type=int, default=10, help="of them, scenario 2's")
    parser.add_argument("--serve-kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", type=Path, default=RESULTS / "crash_bench.json")
    args = parser.parse_args(argv)
    rng = Random(args.seed)
    started = time.monotonic()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crash-bench-") as tmp:
        folder = Path(tmp)
        for name, run, kills in (
            ("ingest_as_client", ingest_as_client, args.ingest_kills - args.owner_kills),
            ("ingest_as_owner", ingest_as_owner, args.owner_kills),
        ):
            (folder / name).mkdir()
            results[name] = run(folder / name, kills, rng).summary()
            print(f"{name}: {results[name]['kill_points']} kill points, "
                  f"{len(results[name]['problems'])} problems", flush=True)  # fmt: skip
        (folder / "serve").mkdir()
        results["serve"] = crash_serve(folder / "serve", kills=args.serve_kills, rng=rng).summary()
    report = {
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(time.monotonic() - started, 1),
        "results": results,
    }
    print()
    print(table(results))
    for name in ("ingest_as_client", "ingest_as_owner"):
        print(f"{name}: kill points by whole batches stored after them: "
              f"{results[name]['batches_stored_at_kill']}")  # fmt: skip
    serve = results["serve"]
    print(f"serve: restarts {serve['restart_seconds']} s; killed servers' engines exited after "
          f"{serve['engine_exit_seconds']} s; reused {serve['engines_reused']}")  # fmt: skip
    problems = [p for r in results.values() for p in r["problems"]]
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"load average after: {report['load_average_after']} on {report['cores']} cores; "
          f"{report['seconds']} s in all")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    stop_all()
    os._exit(status)  # no interpreter teardown next to the JVM (see graphmem.cli.run)

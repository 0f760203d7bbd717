"""A bounded soak: mixed operations from several processes against one served store, then the
invariants (issue 17, item 3).

    .venv/bin/python benchmarks/soak.py                      # 10 minutes, 4 processes
    .venv/bin/python benchmarks/soak.py --minutes 1 --processes 2 --seed 7
    .venv/bin/python benchmarks/soak.py --home DIR           # a home `graphmem serve` serves

Without `--home` it starts `graphmem serve --allow-user-id` in a temporary home (hashing
embedder, offline extractor) and stops it at the end. Each worker process
(`benchmarks.soak_worker`) writes its own users only and keeps a reference model of them
(`benchmarks.soak_model`): `add_relation`, `add` (with and without extraction), `add_many`,
`search`, `get_all`, `get`, `update`, `delete`, `history`, `forget_episode`,
`merge_entities`, `export`, and probes of the other workers' ids. Invariants
(`benchmarks.soak_checks`), during the run and over every user at the end: contiguous
version chains, one current value per functional relation, no cross-owner result, the store
equal to the models (current facts, every version, episodes), every call answered as the
model predicted.

Reports operations/s, p50/p95 per operation overall and per `--window` (default 60 s), the
RSS of the server process and its engine child at start and end, and the errors (any
exception the model did not predict); prints a table, writes `benchmarks/results/soak.json`
(`--out`), and exits 1 when an invariant failed or there was an error.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import connection
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from benchmarks import soak_stats  # noqa: E402
from benchmarks.soak_worker import WorkerSpec, run_worker  # noqa: E402

RESULTS = ROOT / "results"
START_TIMEOUT = 300.0  # seconds for every worker to connect


@dataclass(frozen=True)
class Target:
    """The served store: where it listens, its token, its home, the server's pid."""

    url: str
    token: str
    home: Path
    pid: int


@contextmanager
def serving(home: Path | None, scratch: Path) -> Iterator[Target]:
    """The server of `home` (already running), or a new `graphmem serve` in `scratch`."""
    if home is not None:
        from graphmem.server import runfile
        from graphmem.server.auth import read_token

        info = runfile.running(home)
        if info is None:
            raise SystemExit(f"no graphmem server is running for {home}")
        yield Target(info.url, read_token(home) or "", home, info.pid)
        return
    from tests.helpers.served import served

    engine: list[psutil.Process] = []
    try:
        with served(scratch / "home", "--allow-user-id") as s:
            try:
                yield Target(s.url, s.token, s.home, s.process.pid)
            finally:
                engine = psutil.Process(s.process.pid).children(recursive=True)
    finally:  # the engine may still be closing its files when the server has exited
        for p in psutil.wait_procs(engine, timeout=60)[1]:
            p.kill()


def run_soak(
    *,
    seconds: float,
    processes: int = 4,
    seed: int = 0,
    home: Path | None = None,
    window: float = 60.0,
    ops_per_user: int = 150,
) -> dict[str, Any]:
    """Run the soak (see the module docstring) and return its summary: ``passed``,
    ``errors``, ``problems`` (by invariant), ``latency``, ``rss``, ``totals``."""
    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="graphmem-soak-") as tmp:
        scratch = Path(tmp)
        (scratch / "peers").mkdir()
        with serving(home, scratch) as target:
            specs = [
                WorkerSpec(
                    index=i,
                    url=target.url,
                    token=target.token,
                    home=str(target.home),
                    run=run,
                    seed=seed,
                    seconds=seconds,
                    ops_per_user=ops_per_user,
                    peers=str(scratch / "peers"),
                    out=str(scratch / f"worker-{i}.json"),
                )
                for i in range(processes)
            ]
            _warm_up(target, run)
            samples, crashed = _drive(specs, target.pid, window)
        results = [json.loads(Path(s.out).read_text()) for s in specs if Path(s.out).exists()]
    return _summary(results, crashed, samples, seconds, processes, seed, window)


def _warm_up(target: Target, run: str) -> None:
    """One extraction and one search first, so the server's models are loaded before the
    clock starts."""
    from graphmem.client import MemoryClient

    user = f"soak-{run}-warm-up"
    with MemoryClient(target.url, target.token, timeout=300) as client:
        client.add({"role": "user", "name": "Ann", "content": "I live in Oslo."}, user_id=user)
        client.search("Where does Ann live?", user_id=user)
        client.delete_all(user_id=user)


def _drive(
    specs: list[WorkerSpec], server_pid: int, window: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """Start the workers, release them at once, sample the server's RSS every `window`
    seconds until they are done; returns the samples and the workers that failed."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(len(specs) + 1)
    workers = [ctx.Process(target=run_worker, args=(s, ready), daemon=True) for s in specs]
    for w in workers:
        w.start()
    try:
        ready.wait(timeout=START_TIMEOUT)
        t0 = time.monotonic()
        samples = [{"at_s": 0.0, **soak_stats.rss(server_pid)}]
        while running := [w.sentinel for w in workers if w.is_alive()]:
            connection.wait(
                running, timeout=max(0.1, len(samples) * window - (time.monotonic() - t0))
            )
            elapsed = time.monotonic() - t0
            if elapsed >= len(samples) * window or not any(w.is_alive() for w in workers):
                samples.append({"at_s": round(elapsed, 1), **soak_stats.rss(server_pid)})
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
            w.join()
    crashed = [
        f"worker {s.index} exited with {w.exitcode}"
        for s, w in zip(specs, workers, strict=True)
        if w.exitcode
    ]
    return samples, crashed


def _summary(
    results: list[dict[str, Any]],
    crashed: list[str],
    samples: list[dict[str, Any]],
    seconds: float,
    processes: int,
    seed: int,
    window: float,
) -> dict[str, Any]:
    errors = [e for r in results for e in r["errors"]]
    errors += [{"op": "worker", "type": "crash", "typed": False, "message": c} for c in crashed]
    problems = soak_stats.merge_problems(results)
    ops = [op for r in results for op in r["ops"]]
    start, end = samples[0], samples[-1]
    return {
        "passed": not errors and not problems and len(results) == processes,
        "processes": processes,
        "seconds": seconds,
        "seed": seed,
        "errors": errors,
        "untyped_errors": sum(not e["typed"] for e in errors),
        "problems": problems,
        "latency": soak_stats.latency(ops, seconds, window),
        "rss": {
            "start": start,
            "end": end,
            "drift_mib": round(end["total_mib"] - start["total_mib"], 1),
            "samples": [{"at_s": s["at_s"], "total_mib": s["total_mib"]} for s in samples],
        },
        "totals": soak_stats.totals(results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path, help="the home of a running `graphmem serve`")
    parser.add_argument("--window", type=float, default=60.0, help="seconds per latency window")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    summary = run_soak(
        seconds=args.minutes * 60,
        processes=args.processes,
        seed=args.seed,
        home=args.home,
        window=args.window,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(soak_stats.table(summary))
    return 0 if summary["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

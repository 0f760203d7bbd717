"""Latency of one `add()` of one short message, with a breakdown of every call.

A fresh store; each call adds one short first-person message (offline extractor, MiniLM) for
one user, so the calls find, create and reconcile entities and facts as an agent's `add` after
a reply does. Every call is driven step by step (`graphmem.store.drivers.drive`) and split
into: the extraction, the embedding (one model call), each statement read before the write
(name, rows, ms), the write transaction (each statement in it, and the rest: begin and
commit), and the Python between steps.

Baselines from the same run and process: `add(..., infer=False)` of the same messages (the
episode only: one embedding, one write of one statement) and the round-trip floor (the
smallest statement). Run twice, each in a fresh process: with the engine in that process and
against `graphmem serve` on the home.

    .venv/bin/python benchmarks/add_latency.py            # 200 calls each way
    .venv/bin/python benchmarks/add_latency.py --quick    # 40

Target (issue 14): p50 <= 40 ms. Prints a table and writes
``benchmarks/results/add_latency.json`` (``_quick`` with --quick).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from conversation_search import Breakdown, child, finish_phase, percentiles  # noqa: E402
from serve_bench import serving  # noqa: E402

RESULTS = ROOT / "results"
WARMUP = 10
NAMES = ["Anna", "Ben", "Carla", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas"]
PLACES = ["Berlin", "Paris", "Lisbon", "Oslo", "Madrid", "Vienna", "Prague", "Dublin"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Soylent"]
FOODS = ["sushi", "pizza", "ramen", "tacos", "curry", "falafel"]
TEMPLATES = [
    "I love {food}.",
    "I don't like {food} anymore.",
    "My friend {name} lives in {place}.",
    "I moved to {place} last month.",
    "{name} works at {company}.",
    "I work at {company} now.",
    "My sister {name} likes {food}.",
    "{name} and I went hiking near {place}.",
]


def messages(n: int, seed: int = 7) -> list[str]:
    """`n` short first-person messages over a small world (names recur, facts change)."""
    rng = random.Random(seed)
    return [
        rng.choice(TEMPLATES).format(
            food=rng.choice(FOODS),
            name=rng.choice(NAMES),
            place=rng.choice(PLACES),
            company=rng.choice(COMPANIES),
        )
        for _ in range(n)
    ]


def timed_work(work: Callable[[], Any], b: Breakdown) -> Callable[[], Generator[Any, Any, Any]]:
    """`work` whose every statement (inside the write transaction) is timed into `b`."""

    def timed() -> Generator[Any, Any, Any]:
        steps = work()
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as stop:
                return stop.value
            t0 = time.perf_counter()
            try:
                value, error = (yield step), None
            except Exception as exc:
                value, error = None, exc
            rows = len(value) if isinstance(value, list) else None
            b.add("write statement", step.name, (time.perf_counter() - t0) * 1000, rows)

    return timed


def timed_add(m: Any, text: str, user: str, *, infer: bool) -> tuple[float, Breakdown]:
    """One `add`, driven step by step with every part timed."""
    from graphmem import writes
    from graphmem.effects import Compute, Read, ReadAll, Write
    from graphmem.store.drivers import drive

    b = Breakdown()
    store, ctx = m.store, m.context
    clock = [time.perf_counter()]

    def answer(step: Any) -> Any:
        now = time.perf_counter()
        b.add("python", "python", (now - clock[0]) * 1000)
        clock[0] = now
        try:
            if isinstance(step, Compute):
                kind = {ctx.embed: "embedding", ctx.extract: "extraction"}.get(step.fn, "compute")
                out = step.fn(*step.args)
                b.add(kind, kind, (time.perf_counter() - now) * 1000)
                return out
            if isinstance(step, Read):
                out = store.read(step.query)
                b.add("statement", step.query.name, (time.perf_counter() - now) * 1000, len(out))
                return out
            if isinstance(step, ReadAll):
                out = store.read_all(step.queries)
                names = "+".join(q.name for q in step.queries)
                b.add("statement", names, (time.perf_counter() - now) * 1000, sum(map(len, out)))
                return out
            if isinstance(step, Write):
                inside = len(b.parts)
                out = store.write(timed_work(step.work, b))
                ms = (time.perf_counter() - now) * 1000
                # a retried transaction times its statements again: count the last attempt
                statements = sum(p["ms"] for p in b.parts[inside:])
                b.add("write", "transaction", ms)
                b.add("write", "begin and commit", max(0.0, ms - statements))
                return out
            raise TypeError(f"add yielded an unexpected step: {step!r}")
        finally:
            clock[0] = time.perf_counter()

    gc.callbacks.append(b.on_gc)
    try:
        t0 = time.perf_counter()
        clock[0] = t0
        drive(writes.add(ctx, text, user_id=user, infer=infer), answer)
        total = (time.perf_counter() - t0) * 1000
    finally:
        gc.callbacks.remove(b.on_gc)
    return total, b


def summarize(calls: list[tuple[float, Breakdown]]) -> dict[str, Any]:
    """Percentiles of the totals and of each part (summed per call)."""
    per: dict[str, list[float]] = defaultdict(list)
    for _, b in calls:
        sums: dict[str, float] = defaultdict(float)
        for p in b.parts:
            key = p["kind"] if p["kind"] in ("embedding", "extraction", "python") else None
            sums[key or f"{p['kind']}: {p['name']}"] += p["ms"]
            if p["kind"] in ("statement", "write statement"):
                sums["statements (count)"] += 1
        sums["gc"] = b.gc_ms
        for key, value in sums.items():
            per[key].append(value)
    return {
        "add": percentiles([ms for ms, _ in calls]),
        "parts": {k: percentiles(v) for k, v in sorted(per.items())},
    }


def phase(config_file: Path, texts: list[str]) -> dict[str, Any]:
    """One library phase, in a process of its own (`Memory()` on the home)."""
    from statements import statement

    from graphmem import Memory, MemoryConfig
    from graphmem.effects import query

    out: dict[str, Any] = {}
    with Memory(MemoryConfig.from_file(config_file)) as m:
        for i, text in enumerate(texts[:WARMUP]):
            m.add(text, user_id=f"warmup-{i % 2}")
        out["engine_in_this_process"] = not m.store.can_take_over
        for infer, key in ((True, "add"), (False, "baseline: add(infer=False)")):
            user = f"bench-{key[:3]}"
            out[key] = summarize([timed_add(m, t, user, infer=infer) for t in texts])
        floor = []
        for _ in texts:
            t0 = time.perf_counter()
            m.store.read(query(statement("bench_round_trip")))
            floor.append((time.perf_counter() - t0) * 1000)
        out["baseline: round trip"] = percentiles(floor)
    return out


def report(r: dict[str, Any]) -> None:
    print(f"\n{r['calls']} add() calls of one short message; milliseconds")
    head = f"{'':<44}" + "".join(f"{k:>9}" for k in ("p50", "p95", "p99", "max"))
    for key in ("in_process", "served"):
        print(f"\n{key}\n{head}")
        p = r[key]
        lines = [("add", p["add"]["add"])]
        lines += [(f"  {name}", v) for name, v in p["add"]["parts"].items()]
        lines += [("baseline: add(infer=False)", p["baseline: add(infer=False)"]["add"])]
        lines += [("baseline: round trip", p["baseline: round trip"])]
        for name, v in lines:
            if v.get("n"):
                cells = "".join(f"{v[k]:>9.1f}" for k in ("p50", "p95", "p99", "max"))
                print(f"{name[:44]:<44}{cells}")
    print(json.dumps(r["checks"], indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="40 calls")
    parser.add_argument("--phase", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        finish_phase(phase(args.config, json.loads(args.work.read_text())))
    calls = 40 if args.quick else args.calls
    scratch = Path(tempfile.mkdtemp(prefix="graphmem-add-latency-"))
    texts_file = scratch / "texts.json"
    texts_file.write_text(json.dumps(messages(calls)))
    results: dict[str, Any] = {"calls": calls, "cores": os.cpu_count()}
    for key in ("in_process", "served"):
        home = scratch / key
        home.mkdir()
        config_file = scratch / f"{key}.json"
        config_file.write_text(json.dumps({"store": {"home": str(home), "heap": "2g"}}))
        print(f"{key} ...", file=sys.stderr)
        if key == "served":
            with serving(config_file, home):
                results[key] = child(config_file, texts_file, __file__)
        else:
            results[key] = child(config_file, texts_file, __file__)
    results["checks"] = {
        f"{key}_p50_at_most_40_ms": results[key]["add"]["add"]["p50"] <= 40
        for key in ("in_process", "served")
    }
    report(results)
    RESULTS.mkdir(exist_ok=True)
    name = "add_latency_quick.json" if args.quick else "add_latency.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Lookups by memory id (get, history, update, delete) at 1k and 100k facts, next to the scan
of every relationship they replaced, measured in the same run.

A new memory's id names the relationship type of its first version (`graphmem.facts`), so its
versions are an index seek on that type's `memory_id` (`cypher/fact_versions_of_type.cypher`)
instead of a scan of every relationship (`cypher/fact_versions.cypher`, which ids of older
stores still use). Each size is a store of its own, one user's graph loaded by the bulk loader
of `search_latency.py` (the same `World`: 8 relation types, skewed so some entities are hubs,
episodes), its ids minted as `new_memory_id` mints them. Both stores are loaded first, then
timed in alternating rounds (on a shared machine, other processes' load falls on both alike);
each round takes fresh random memories of each store and times, through the public `Memory` API:

* get: `Memory.get(id)`; history: `Memory.history(id)`;
* update: `Memory.update(id, other_entity)`, a new object of the same kind (a name the owner
  already has, so no entity is created and no vector searched: the store's work);
* delete: `Memory.delete(id)`, of a memory no other round touched;
* seek: `graphmem.reads.versions(id)` alone, the lookup all four start with;
* scan (baseline): `graphmem.reads.scan_versions(id)`, the lookup before typed ids.

The embedder is the hashing one: `update` embeds its new fact, and MiniLM's ~18 ms call (the
same at any size) would only hide the store. The target: p50 at 100k facts at most 1.5x p50 at
1k for each of get, history, update and delete (PASS/FAIL printed; exit code 0 either way).

With `NEO4J_URI` set (and `NEO4J_USER` / `NEO4J_PASSWORD`) it runs on that Neo4j database,
which should be empty: one database grows from the small size to the large one, each size timed
when it is reached (Neo4j Community has one database, so the sizes cannot alternate).

    .venv/bin/python benchmarks/lookup_bench.py            # 1k and 100k facts
    .venv/bin/python benchmarks/lookup_bench.py --quick    # 500 and 1.5k facts, fewer rounds

Writes ``benchmarks/results/lookup_bench.json`` (``lookup_bench_quick.json`` with --quick).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from search_latency import RELATIONS, World, percentiles

from graphmem import Memory
from graphmem.reads import scan_versions, versions

RESULTS = Path(__file__).resolve().parent / "results"
OPERATIONS = ("get", "history", "update", "delete")
TIMED = (*OPERATIONS, "seek", "scan")
TARGET = 1.5  # p50 at the largest size / p50 at the smallest, at most
OBJECT_KIND = {rel: okind for rel, _, okind, _ in RELATIONS}
EMBEDDER = {"provider": "hashing", "dimensions": 384}


@dataclass
class Sized:
    """One store at one size: its world, the memories no round has used yet, the timings."""

    m: Memory
    world: World
    load_s: float
    fresh: list[tuple[str, str]]
    ms: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in TIMED})


def store_config(home: str) -> dict[str, Any]:
    """Neo4j from the environment, else the embedded store in `home`."""
    if os.environ.get("NEO4J_URI"):
        return {
            "uri": os.environ["NEO4J_URI"],
            "user": os.environ.get("NEO4J_USER", "neo4j"),
            "password": os.environ.get("NEO4J_PASSWORD", ""),
        }
    return {"home": home, "heap": "4g"}


def grown(m: Memory, world: World, facts: int, warm_reads: int) -> Sized:
    """`world` grown to `facts` facts, its new memories checked and shuffled, the read path
    warmed up."""
    loaded = len(world.memories)
    t0 = time.perf_counter()
    world.grow(facts)
    load_s = time.perf_counter() - t0
    m.store.settle_indexes()  # no vector rebuild running behind the timings
    fresh = world.memories[loaded:]  # memories no earlier size touched
    world.rng.shuffle(fresh)
    check_and_warm(m, fresh, warm_reads)
    return Sized(m, world, load_s, fresh)


def check_and_warm(m: Memory, memories: list[tuple[str, str]], reads: int) -> None:
    """Before timing: the seek finds what the scan finds (a benchmark of a wrong answer is no
    benchmark); then `reads` untimed reads, so that the engine's JIT has compiled the read
    path before anything is timed."""
    for memory_id, _ in memories[:20]:
        seek, scan = m.run(versions(memory_id)), m.run(scan_versions(memory_id))
        if seek != scan or not seek:
            raise SystemExit(f"seek and scan disagree on {memory_id}")
    for i in range(reads):
        memory_id = memories[i % len(memories)][0]
        m.get(memory_id)
        m.history(memory_id)


def timed(call: Callable[[], Any]) -> float:
    """Milliseconds `call()` took."""
    t = time.perf_counter()
    call()
    return (time.perf_counter() - t) * 1000


def one_round(s: Sized) -> dict[str, float]:
    """Every timed call once, on three fresh memories of `s`: one read by all readers, one
    updated, one deleted."""
    (read_id, _), (update_id, rel), (delete_id, _) = s.fresh.pop(), s.fresh.pop(), s.fresh.pop()
    other = s.world.rng.choice(s.world.entities[OBJECT_KIND[rel]])["name"]
    m = s.m
    return {
        "get": timed(partial(m.get, read_id)),
        "history": timed(partial(m.history, read_id)),
        "seek": timed(partial(m.run, versions(read_id))),
        "scan": timed(partial(m.run, scan_versions(read_id))),
        "update": timed(partial(m.update, update_id, other)),
        "delete": timed(partial(m.delete, delete_id)),
    }


def measure(stores: list[Sized], rounds: int, warmup: int) -> None:
    """`warmup` untimed rounds, then `rounds` timed ones, alternating between `stores` (the
    first one first in even rounds, last in odd ones)."""
    for i in range(warmup + rounds):
        for s in stores if i % 2 == 0 else stores[::-1]:
            times = one_round(s)
            if i >= warmup:
                for name, value in times.items():
                    s.ms[name].append(value)


def row(s: Sized) -> dict[str, Any]:
    """One size's results."""
    out: dict[str, Any] = {"facts": s.world.facts, "load_s": round(s.load_s, 1)}
    out.update({name: percentiles(values) for name, values in s.ms.items()})
    return out


def verdicts(sizes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """p50 at the largest size over p50 at the smallest, per operation (the scan's too, for
    comparison), and whether each operation meets the target."""
    small, large = sizes[min(sizes, key=int)], sizes[max(sizes, key=int)]
    out: dict[str, dict[str, Any]] = {}
    for name in TIMED:
        ratio = large[name]["p50_ms"] / max(small[name]["p50_ms"], 1e-9)
        out[name] = {"ratio_p50": round(ratio, 2)}
        if name in OPERATIONS:
            out[name]["pass"] = ratio <= TARGET
    return out


def run_embedded(sizes: list[int], rounds: int, warmup: int, warm_reads: int) -> list[Sized]:
    """One embedded store per size (one JVM, one engine per home), loaded, then timed in
    alternating rounds."""
    with ExitStack() as stack:
        stores = []
        for size in sizes:
            home = tempfile.mkdtemp(prefix=f"graphmem-lookup-{size}-")
            m = stack.enter_context(Memory({"store": store_config(home), "embedder": EMBEDDER}))
            stores.append(grown(m, World(m), size, warm_reads))
            print(f"loaded {size} facts in {stores[-1].load_s:.0f} s", file=sys.stderr)
        gc.collect()
        gc.freeze()  # the generated worlds are long-lived (see search_latency.py)
        measure(stores, rounds, warmup)
        return stores


def run_neo4j(sizes: list[int], rounds: int, warmup: int, warm_reads: int) -> list[Sized]:
    """One Neo4j database grown size by size, each size timed when reached."""
    stores = []
    with Memory({"store": store_config(""), "embedder": EMBEDDER}) as m:
        world = World(m)
        for size in sizes:
            stores.append(grown(m, world, size, warm_reads))
            gc.collect()
            gc.freeze()
            measure(stores[-1:], rounds, warmup)
    return stores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 and 1.5k facts, 30 rounds")
    parser.add_argument("--rounds", type=int, help="timed rounds per size (default 200)")
    args = parser.parse_args()
    sizes = [500, 1_500] if args.quick else [1_000, 100_000]
    rounds = args.rounds or (30 if args.quick else 200)
    warmup, warm_reads = (10, 100) if args.quick else (60, 1000)
    neo4j = bool(os.environ.get("NEO4J_URI"))
    load_before = os.getloadavg()[0]
    stores = (run_neo4j if neo4j else run_embedded)(sizes, rounds, warmup, warm_reads)
    table = {str(size): row(s) for size, s in zip(sizes, stores, strict=True)}
    results: dict[str, Any] = {
        "engine": "neo4j" if neo4j else "arcadedb (embedded)",
        "machine": f"{os.cpu_count()} cores; {platform.platform()}",
        # other processes' load, 1-minute averages (on 2 cores, 2.0 is busy)
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "embedder": "hashing (384)",
        "rounds": rounds,
        "warmup": warmup,
        "sizes": table,
        "targets": verdicts(table),
    }
    small, large = min(table, key=int), max(table, key=int)
    print(f"\n{'operation':<10}" + "".join(f"{f'{s} p50':>12}{'p95':>8}" for s in table), end="")
    print(f"{'ratio p50':>11}  target <= {TARGET}x ({large}/{small} facts)")
    for name in TIMED:
        cells = "".join(
            f"{table[s][name]['p50_ms']:>12.2f}{table[s][name]['p95_ms']:>8.2f}" for s in table
        )
        verdict = results["targets"][name]
        mark = {True: "PASS", False: "FAIL", None: "(info)"}[verdict.get("pass")]
        label = "scan*" if name == "scan" else name
        print(f"{label:<10}{cells}{verdict['ratio_p50']:>10.2f}x  {mark}")
    print("* scan: the lookup before typed ids (cypher/fact_versions.cypher), same run")
    name = "lookup_bench_quick.json" if args.quick else "lookup_bench.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

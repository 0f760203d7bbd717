"""Search and add through every way in, on one LoCoMo-sized store, in one run.

The store is the dev LoCoMo conversations ingested in order (offline extractor, MiniLM),
kept in `--home` and ingested once (by `locomo_retrieval.py --ingest-only` when missing).
Then, in order:

1. **in-process**: a child process opens `Memory()` with no server running, so the engine runs
   inside it (the JVM shares its interpreter and cores);
2. `graphmem serve --allow-user-id` starts on the same home and owns the engine;
3. **served library**: a child process opens `Memory()`, which connects to the served store
   over Bolt (models in the child, engine in the server);
4. **REST**: `MemoryClient` (httpx) against the server's API;
5. **MCP**: the official `mcp` client over streamable HTTP (`/mcp`), calling `search_memory`
   and `add_memory`;
6. **CLI**: `graphmem search` and `graphmem add` as whole processes, with the server running,
   then with no server (the command opens the store and loads the models itself).

Steps 1 and 3-5 time `search` for the same questions (the query embedding included) and `add`
for the same short messages (to a user of their own, erased afterwards); 1 and 3 also time the
store statements of each search (`GraphStore.read` / `read_all`, summed per search).

    .venv/bin/python benchmarks/serve_bench.py --home /tmp/locomo           # full
    .venv/bin/python benchmarks/serve_bench.py --home /tmp/locomo --quick   # fewer calls

Targets (issue 13): served search p95 <= 1/3 of in-process p95; REST search p50 at most 5 ms
over the served library's; `graphmem search` / `add` with a running server <= 0.5 s. Prints a
table and writes ``benchmarks/results/serve_bench.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from locomo_retrieval import DATA, questions_of, turns_of  # noqa: E402

from tests.helpers.served import wait_served  # noqa: E402

RESULTS = ROOT / "results"
WARMUP = 3
READ_THREAD = "graphmem-read"  # GraphStore.read_all's pool threads (counted in read_all)


def percentiles(ms: list[float]) -> dict[str, float]:
    """n, p50, p95 and max of timings in milliseconds."""
    ordered = sorted(ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {"n": len(ms), "p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 2)}


def workload(questions: int, adds: int) -> dict[str, Any]:
    """The same questions (spread over the conversations) and messages for every way in."""
    data = json.loads(DATA.read_text())
    per = -(-questions // len(data))
    asked = [
        {"user": conv["sample_id"], "question": q["question"]}
        for conv in data
        for q in questions_of(conv)[:per]
    ][:questions]
    texts = [t["text"] for t in turns_of(data[0])[:adds]]
    return {"questions": asked, "messages": texts}


def run_calls(
    search: Callable[[str, str], Any], add: Callable[[str, str], Any], work: dict[str, Any]
) -> dict[str, Any]:
    """Time `search(question, user)` for every question (after WARMUP untimed ones) and
    `add(text, user)` for every message."""
    for q in work["questions"][:WARMUP]:
        search(q["question"], q["user"])
    search_ms = []
    for q in work["questions"]:
        t0 = time.perf_counter()
        search(q["question"], q["user"])
        search_ms.append((time.perf_counter() - t0) * 1000)
    add_ms = []
    for text in work["messages"]:
        t0 = time.perf_counter()
        add(text, work["adds_user"])
        add_ms.append((time.perf_counter() - t0) * 1000)
    return {"search": percentiles(search_ms), "add": percentiles(add_ms)}


def library_phase(config_file: Path, work: dict[str, Any]) -> dict[str, Any]:
    """Steps 1 and 3, in a process of their own: `Memory()` on the home, the store's
    statements timed per search."""
    from graphmem import Memory, MemoryConfig

    with Memory(MemoryConfig.from_file(config_file)) as m:
        store = m.store
        spent = [0.0]
        read, read_all = store.read, store.read_all

        def timed(call: Callable[..., Any]) -> Callable[..., Any]:
            def wrapper(*args: Any) -> Any:
                if threading.current_thread().name.startswith(READ_THREAD):
                    return call(*args)
                t0 = time.perf_counter()
                try:
                    return call(*args)
                finally:
                    spent[0] += (time.perf_counter() - t0) * 1000

            return wrapper

        store.read, store.read_all = timed(read), timed(read_all)  # type: ignore[method-assign]
        store_ms: list[float] = []

        def search(question: str, user: str) -> None:
            spent[0] = 0.0
            m.search(question, user_id=user, limit=10)
            store_ms.append(spent[0])

        result = run_calls(search, lambda t, u: m.add(t, user_id=u), work)
        result["store_statements"] = percentiles(store_ms[WARMUP:])
        result["engine_in_this_process"] = not store.can_take_over
        m.delete_all(user_id=work["adds_user"])
    return result


def rest_phase(url: str, token: str, work: dict[str, Any]) -> dict[str, Any]:
    """Step 4: the REST API through `MemoryClient`."""
    from graphmem.client import MemoryClient

    with MemoryClient(url, token) as c:
        result = run_calls(
            lambda q, u: c.search(q, user_id=u, limit=10), lambda t, u: c.add(t, user_id=u), work
        )
        c.delete_all(user_id=work["adds_user"])
    return result


def mcp_phase(url: str, token: str, work: dict[str, Any]) -> dict[str, Any]:
    """Step 5: MCP tools over streamable HTTP with the official client."""
    import httpx
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            httpx.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            loop = asyncio.get_running_loop()

            def call(name: str, arguments: dict[str, Any]) -> Any:
                future = asyncio.run_coroutine_threadsafe(client.call_tool(name, arguments), loop)
                result = future.result()
                if result.is_error:
                    raise RuntimeError(f"{name}: {result.content}")
                return result

            def search(q: str, u: str) -> Any:
                return call("search_memory", {"query": q, "user_id": u, "limit": 10})

            def add(t: str, u: str) -> Any:
                return call("add_memory", {"text": t, "user_id": u})

            result = await asyncio.to_thread(run_calls, search, add, work)
            await client.call_tool("delete_all_memories", {"user_id": work["adds_user"]})
            return result

    return asyncio.run(main())


def cli_phase(config_file: Path, work: dict[str, Any], runs: int, *, served: bool) -> dict:
    """Step 6: `graphmem search` and `graphmem add` as whole processes."""
    q = work["questions"][0]
    user = work["adds_user"]
    argv = {
        "search": ["search", q["question"], "--user", q["user"]],
        "add": ["add", work["messages"][0], "--user", user],
    }
    out: dict[str, Any] = {}
    for name, args in argv.items():
        ms = []
        for _ in range(runs):
            t0 = time.perf_counter()
            cmd = [sys.executable, "-m", "graphmem.cli", "--config", str(config_file), "--verbose"]
            if not served:
                cmd.append("--no-server")
            done = subprocess.run(cmd + args, capture_output=True, text=True, timeout=300)
            ms.append((time.perf_counter() - t0) * 1000)
            if done.returncode != 0:
                raise RuntimeError(f"graphmem {name} failed: {done.stderr}")
        out[name] = percentiles(ms)
        out[name]["said"] = done.stderr.strip().splitlines()[:1]
    return out


@contextmanager
def serving(config_file: Path, home: Path) -> Iterator[tuple[str, str]]:
    """`graphmem serve --allow-user-id --port 0` on the home, until the block ends."""
    log = open(home.parent / "serve_bench-serve.out", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "graphmem.cli", "--config", str(config_file), "serve"]
        + ["--allow-user-id", "--port", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = wait_served(home, process, timeout=300)
        yield url, (home / "token").read_text().strip()
    finally:
        process.terminate()
        process.wait(timeout=120)
        log.close()


def child(phase: str, config_file: Path, work_file: Path) -> dict[str, Any]:
    """Run a library phase in a fresh process (so a JVM of one never serves the other)."""
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--config", str(config_file)]
        + ["--work", str(work_file)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{phase} phase failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def ensure_ingested(home: Path) -> None:
    """Ingest the dev conversations into `home` unless that was done before."""
    subprocess.run(
        [sys.executable, str(ROOT / "locomo_retrieval.py"), "--home", str(home), "--ingest-only"],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, help="kept LoCoMo store (default: a new temp dir)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--adds", type=int, default=40)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="50 questions, 10 adds, 2 CLI runs")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:  # a child process of `child`
        result = library_phase(args.config, json.loads(args.work.read_text()))
        print(json.dumps(result))
        sys.stdout.flush()
        from graphmem.store.embedded import stop_all

        stop_all()
        os._exit(0)
    if args.quick:
        args.questions, args.adds, args.cli_runs = 50, 10, 2
    home = (args.home or Path(tempfile.mkdtemp(prefix="graphmem-serve-bench-"))).resolve()
    ensure_ingested(home)
    scratch = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    config_file = scratch / "config.json"
    config_file.write_text(json.dumps({"store": {"home": str(home), "heap": "2g"}}))
    work = workload(args.questions, args.adds)
    results: dict[str, Any] = {"home": str(home), "questions": len(work["questions"])}
    results["adds"] = len(work["messages"])

    def phase_work(name: str) -> Path:
        path = scratch / f"work-{name}.json"
        path.write_text(json.dumps({**work, "adds_user": f"serve-bench-{name}"}))
        return path

    print("in-process library ...", file=sys.stderr)
    results["in_process"] = child("in-process", config_file, phase_work("in-process"))
    with serving(config_file, home) as (url, token):
        print(f"served at {url}: library, REST, MCP, CLI ...", file=sys.stderr)
        results["served_library"] = child("served", config_file, phase_work("served"))
        rest_work = json.loads(phase_work("rest").read_text())
        results["rest"] = rest_phase(url, token, rest_work)
        results["mcp"] = mcp_phase(url, token, json.loads(phase_work("mcp").read_text()))
        results["cli_served"] = cli_phase(config_file, rest_work, args.cli_runs, served=True)
        from graphmem.client import MemoryClient

        with MemoryClient(url, token) as c:
            c.delete_all(user_id=rest_work["adds_user"])
    print("CLI without a server ...", file=sys.stderr)
    results["cli_alone"] = cli_phase(
        config_file, json.loads(phase_work("cli").read_text()), min(2, args.cli_runs), served=False
    )
    results["checks"] = checks(results)
    report(results)
    RESULTS.mkdir(exist_ok=True)
    name = "serve_bench_quick.json" if args.quick else "serve_bench.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")


def checks(r: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, against numbers of this run."""
    inproc, served = r["in_process"]["search"]["p95"], r["served_library"]["search"]["p95"]
    over = {
        op: round(r["rest"][op]["p50"] - r["served_library"][op]["p50"], 2)
        for op in ("search", "add")
    }
    cli = max(r["cli_served"]["search"]["p50"], r["cli_served"]["add"]["p50"])
    return {
        "served_p95_over_in_process_p95": round(served / inproc, 3),
        "served_p95_at_most_a_third": served <= inproc / 3,
        "rest_search_p50_over_library_ms": over["search"],
        "rest_add_p50_over_library_ms": over["add"],
        "rest_adds_at_most_5_ms": max(over.values()) <= 5,
        "cli_with_server_p50_ms": cli,
        "cli_with_server_at_most_500_ms": cli <= 500,
    }


def report(r: dict[str, Any]) -> None:
    print(f"\n{r['questions']} searches, {r['adds']} adds per way in; milliseconds")
    print(f"{'way in':<16}{'search p50':>11}{'p95':>9}{'max':>9}{'add p50':>9}{'p95':>9}")
    for key in ("in_process", "served_library", "rest", "mcp"):
        s, a = r[key]["search"], r[key]["add"]
        row = f"{s['p50']:>11.1f}{s['p95']:>9.1f}{s['max']:>9.1f}{a['p50']:>9.1f}{a['p95']:>9.1f}"
        print(f"{key:<16}{row}")
    for key in ("in_process", "served_library"):
        st = r[key]["store_statements"]
        print(f"store statements per search, {key}: p50 {st['p50']:.1f}  p95 {st['p95']:.1f}")
    for key in ("cli_served", "cli_alone"):
        c = r[key]
        print(f"{key}: graphmem search p50 {c['search']['p50']:.0f} ms, add {c['add']['p50']:.0f}")
    print(json.dumps(r["checks"], indent=2))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--recheck"]:  # the targets of a results file, recomputed
        saved = json.loads(Path(sys.argv[2]).read_text())
        saved["checks"] = checks(saved)
        Path(sys.argv[2]).write_text(json.dumps(saved, indent=2) + "\n")
        report(saved)
    else:
        main()

"""What a soak measured, summed up: latency per operation over time windows, throughput,
memory of the server's processes, and the verdict. Pure functions over the workers' result
files (`benchmarks.soak_worker`), plus `rss` which reads a process tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psutil

FINAL = "final_"  # operations of the final checks, after the deadline: not in the throughput
MIB = 1024 * 1024


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    """n, p50, p95 and max of timings in milliseconds (nearest rank)."""
    ordered = sorted(ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 2)}


def latency(ops: Sequence[Sequence[Any]], seconds: float, window: float) -> dict[str, Any]:
    """Per operation overall and per window of `window` seconds: n, p50, p95, max; and the
    operations per second of the run and of each window. `ops` are (op, start s, ms)."""
    timed = [(op, at, ms) for op, at, ms in ops if not op.startswith(FINAL)]
    windows = max(1, -(-int(seconds) // int(window)))
    per_op: dict[str, dict[str, Any]] = {}
    for op in sorted({op for op, _, _ in timed}):
        mine = [(at, ms) for o, at, ms in timed if o == op]
        slices = [
            [ms for at, ms in mine if min(int(at // window), windows - 1) == w]
            for w in range(windows)
        ]
        per_op[op] = {
            **percentiles([ms for _, ms in mine]),
            "windows": [percentiles(s) if s else None for s in slices],
        }
    counts = [0] * windows
    for _, at, _ in timed:
        counts[min(int(at // window), windows - 1)] += 1
    spans = [min(window, seconds - w * window) for w in range(windows)]
    return {
        "operations": len(timed),
        "ops_per_s": round(len(timed) / seconds, 2),
        "window_s": window,
        "window_ops_per_s": [
            round(c / max(s, 1e-9), 2) for c, s in zip(counts, spans, strict=True)
        ],
        "per_op": per_op,
    }


def rss(pid: int) -> dict[str, Any]:
    """Resident memory of process `pid` and of every process under it (the engine)."""
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    found = []
    for p in procs:
        try:
            found.append({"pid": p.pid, "name": _role(p, root), "mib": p.memory_info().rss / MIB})
        except psutil.NoSuchProcess:
            continue
    return {
        "processes": [{**f, "mib": round(f["mib"], 1)} for f in found],
        "total_mib": round(sum(f["mib"] for f in found), 1),
    }


def _role(p: psutil.Process, root: psutil.Process) -> str:
    if p.pid == root.pid:
        return "server"
    return "java" if "java" in p.name().lower() else f"child ({p.name()})"


def merge_problems(results: Sequence[dict[str, Any]], examples: int = 8) -> dict[str, Any]:
    """The workers' problems by kind: how many, and a few of them."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        for kind, entry in r["problems"].items():
            merged = out.setdefault(kind, {"count": 0, "examples": []})
            merged["count"] += entry["count"]
            merged["examples"] += entry["examples"][: max(0, examples - len(merged["examples"]))]
    return dict(sorted(out.items()))


def totals(results: Sequence[dict[str, Any]]) -> dict[str, int]:
    """What the workers' models hold at the end, summed over their users."""
    users = [u for r in results for u in r["users"].values()]
    return {
        "users": len(users),
        "facts_current": sum(u["facts_current"] for u in users),
        "memories": sum(u["memories"] for u in users),
        "versions": sum(u["versions"] for u in users),
        "episodes": sum(u["episodes"] for u in users),
        "tainted": sum(len(u["tainted"]) for u in users),
    }


def table(summary: dict[str, Any]) -> str:
    """The report printed at the end of a soak."""
    lat = summary["latency"]
    lines = [
        f"soak: {summary['processes']} processes, {summary['seconds']:.0f} s, seed "
        f"{summary['seed']}: {lat['operations']} operations, {lat['ops_per_s']} ops/s "
        f"(per {lat['window_s']:.0f} s window: {lat['window_ops_per_s']})",
        "",
        f"{'operation':<16}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  p95 per window",
    ]
    for op, s in lat["per_op"].items():
        per = " ".join("-" if w is None else f"{w['p95']:.0f}" for w in s["windows"])
        lines.append(f"{op:<16}{s['n']:>7}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['max']:>9.0f}  {per}")
    start, end = summary["rss"]["start"], summary["rss"]["end"]
    lines += [
        "",
        f"RSS of the server and its engine: {start['total_mib']} MiB at start, "
        f"{end['total_mib']} MiB at end ({summary['rss']['drift_mib']:+.1f} MiB)",
        f"model at the end: {summary['totals']}",
        f"errors: {len(summary['errors'])} ({summary['untyped_errors']} untyped)",
    ]
    for e in summary["errors"][:10]:
        lines.append(f"  {e['op']}: {e['type']}: {e['message'][:160]}")
    if not summary["problems"]:
        lines.append("invariants: all hold")
    for kind, entry in summary["problems"].items():
        lines.append(f"invariant {kind}: {entry['count']} problem(s)")
        lines += [f"  {text[:220]}" for text in entry["examples"]]
    lines.append("PASS" if summary["passed"] else "FAIL")
    return "\n".join(lines)

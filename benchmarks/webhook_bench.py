"""Webhooks on a served store: what they cost the write, how fast events arrive, and how a
receiver that was down catches up.

One `graphmem serve --allow-user-id` (deterministic embedder, offline extractor, the default
`webhooks.poll_interval` of 0.5 s unless `--poll`) and a local receiver. Each phase times
`MemoryClient.add_relation` (one fact, one ADD event per call: "Ann likes <a new word>"), each
phase to a user of its own:

1. **none**: no webhook registered (the outbox statement finds nothing to queue);
2. **one**: one webhook for the user, receiver up; also the lag from `add` returning to the
   event's arrival, p50/p95;
3. **ten**: ten webhooks for the user (ten deliveries queued per event);
4. **down**: one webhook, receiver down during the adds; then it comes up and the time for
   the whole backlog to arrive, in order, is measured (events/s).

The write never waits for a receiver, so the phases' add latencies should differ by the
outbox statement only. Prints a table and writes ``benchmarks/results/webhooks.json``.

    .venv/bin/python benchmarks/webhook_bench.py            # 200 adds per phase
    .venv/bin/python benchmarks/webhook_bench.py --quick    # 30
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from graphmem.client import MemoryClient  # noqa: E402
from tests.helpers.receiver import Receiver  # noqa: E402
from tests.helpers.served import served  # noqa: E402

RESULTS = ROOT / "results"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def timed_adds(client: MemoryClient, user: str, count: int) -> tuple[list[float], dict[str, float]]:
    """Add `count` facts; their latencies (ms) and, per memory id, when the add returned."""
    latencies, returned = [], {}
    for _ in range(count):
        start = time.perf_counter()
        out = client.add_relation("Ann", "LIKES", f"topic-{uuid.uuid4().hex[:12]}", user_id=user)
        done = time.perf_counter()
        latencies.append((done - start) * 1000)
        for event in out["results"]:
            returned[event["id"]] = time.time()
    return latencies, returned


def summary(latencies: list[float]) -> dict[str, float]:
    return {"n": len(latencies), "p50": pct(latencies, 0.5), "p95": pct(latencies, 0.95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 adds per phase")
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument("--poll", type=float, default=0.5, help="webhooks.poll_interval")
    args = parser.parse_args()
    count = 30 if args.quick else args.adds
    sections = {"webhooks": {"poll_interval": args.poll, "retry_base": 0.5, "retry_max": 2.0}}
    receiver = Receiver()
    arrived: dict[str, float] = {}
    original = receiver.answer

    def answer(body: bytes) -> int:
        arrived.setdefault(json.loads(body)["memory_id"], time.time())
        return original(body)

    receiver.answer = answer
    phases: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        served(Path(tmp) / "home", "--allow-user-id", sections=sections) as server,
        MemoryClient(server.url, token=server.token) as client,
    ):
        timed_adds(client, "warm", 30)

        latencies, _ = timed_adds(client, "none", count)
        phases["none"] = summary(latencies)

        client.create_webhook(receiver.url, user_id="one")
        latencies, returned = timed_adds(client, "one", count)
        expected = len(returned)
        receiver.wait_for(expected, timeout=120)
        lags = [(arrived[m] - t) * 1000 for m, t in returned.items()]
        phases["one"] = {**summary(latencies), "lag_p50": pct(lags, 0.5),
                         "lag_p95": pct(lags, 0.95)}  # fmt: skip

        for _ in range(10):
            client.create_webhook(receiver.url, user_id="ten")
        latencies, returned = timed_adds(client, "ten", count)
        phases["ten"] = summary(latencies)
        expected += 10 * len(returned)
        receiver.wait_for(expected, timeout=600)  # every "one" and "ten" event arrived

        client.create_webhook(receiver.url, user_id="down")
        receiver.stop()
        latencies, returned = timed_adds(client, "down", count)
        phases["down"] = summary(latencies)
        up = time.perf_counter()
        receiver.start()
        got = receiver.wait_for(expected + len(returned), timeout=600)
        drained = time.perf_counter() - up
        down_events = [e["memory_id"] for e in got if e["user_id"] == "down"]
        phases["down"].update(
            backlog=len(returned),
            drain_s=round(drained, 2),
            events_per_s=round(len(down_events) / drained, 1),
            in_order=down_events == list(returned),
        )
    receiver.stop()
    base = phases["none"]["p50"]
    for name in ("one", "ten", "down"):
        phases[name]["p50_vs_none"] = round(phases[name]["p50"] / base, 2)

    print(f"{'phase':<8}{'add p50':>9}{'p95':>8}{'x none':>8}  notes")
    for name, row in phases.items():
        notes = ""
        if name == "one":
            notes = f"lag p50 {row['lag_p50']} ms, p95 {row['lag_p95']} ms"
        if name == "down":
            notes = (f"backlog {row['backlog']} drained in {row['drain_s']} s after the "
                     f"receiver came back ({row['events_per_s']}/s, the backoff wait included), "
                     f"in order: {row['in_order']}")  # fmt: skip
        ratio = row.get("p50_vs_none", 1.0)
        print(f"{name:<8}{row['p50']:>9}{row['p95']:>8}{ratio:>8}  {notes}")
    RESULTS.mkdir(exist_ok=True)
    out = {"adds_per_phase": count, "poll_interval": args.poll, "phases": phases}
    (RESULTS / "webhooks.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Kill -9 an ingesting process at random points, and check what the store holds after each.

`crash_ingest(config, workdir, kills=..., rng=...)` ingests conversations of `messages` JSONL
messages (one user each, unique contents but one message said twice, in two batches) with
`tests.helpers.ingest_child`, `batch_size` at a time. It starts the child, waits until the
child's progress shows what is already stored as done (so it is writing from then on), lets it
run for a random time, and SIGKILLs it (the time is drawn from a window that widens after a
kill that found no new batch stored and narrows after one that did, so that the kills hit
both a run's first batch and the ones after it); the next child resumes the same file, until
one runs to its end; then a new conversation starts, until `kills` kill
points are reached. Which process runs the engine is the caller's choice: another process
(the child connects to it) or none (the child runs the engine, and the kill takes it down).

What the checks rely on: `ingest` stores `batch_size` messages at a time, in input order,
each batch in one transaction, and redraws its progress bar after each batch returns. With
``TQDM_MININTERVAL=0`` the bar (on the child's stderr) is drawn at every batch, so the count it
shows is an acknowledgement: that many messages of the input are stored (or were found stored
and skipped). After each kill the next child reports what it found stored, and the check is:

* the stored episodes are, as a multiset, exactly the input's first k messages for a k that
  ends a batch: whole batches only, none in part;
* k is at least what the killed child acknowledged and at least what was stored before it
  started: nothing acknowledged or stored earlier is lost;
* the run that completes stores the rest, skips the stored prefix, and leaves every message
  stored exactly once (the one said twice, twice).

Violations are collected as `IngestReport.problems` (the caller asserts there are none).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from random import Random
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
# The progress bar's "n/total [" (`ingest`'s bar: "ingest:  30%|███  | 30/101 [00:00<...]").
_PROGRESS = re.compile(rb"\| *(\d+)/(\d+) \[")
SAID_TWICE = (3, 17)  # the message at the first index is said again at the second
MAX_WINDOW = 30.0  # seconds: the longest a kill waits after its run is armed


def conversation(user: str, count: int) -> list[dict[str, Any]]:
    """`count` JSONL records of `user`, a minute apart, each content unique except that the
    message at `SAID_TWICE[0]` is said again (same content and time) at `SAID_TWICE[1]`."""
    start = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)
    records = [
        {
            "user_id": user,
            "role": "user",
            "name": "Ida",
            "content": f"Note {i} of {user}: the crash test wrote this at minute {i}.",
            "timestamp": (start + timedelta(minutes=i)).isoformat(),
        }
        for i in range(count)
    ]
    first, again = SAID_TWICE
    if again < count:
        records[again] = dict(records[first])
    return records


def batch_ends(count: int, batch_size: int) -> list[int]:
    """How many messages are stored once each batch is: 0, then each batch's end."""
    return [0, *(min(end, count) for end in range(batch_size, count + batch_size, batch_size))]


@dataclass
class KillPoint:
    """One SIGKILL: messages stored when the killed run started, acknowledged by it when
    killed, and found stored after it; seconds from its arming to the kill and from its last
    acknowledgement to the kill."""

    before: int
    acked: int
    delay: float
    since_ack: float
    stored: int = -1


@dataclass
class IngestReport:
    """The kill points of a `crash_ingest`, its conversations and runs, what went wrong."""

    batch_size: int
    messages: int
    kills: list[KillPoint] = field(default_factory=list)
    conversations: int = 0
    runs: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def batches_at_kill(self) -> Counter[int]:
        """How many kill points found each number of whole batches stored after them."""
        ends = batch_ends(self.messages, self.batch_size)
        return Counter(ends.index(k.stored) for k in self.kills if k.stored in ends)

    def summary(self) -> dict[str, Any]:
        """The report as JSON data (kill points by batches stored, and by what they hit)."""
        return {
            "kill_points": len(self.kills),
            "messages": self.messages,
            "batch_size": self.batch_size,
            "conversations": self.conversations,
            "runs": self.runs,
            "batches_stored_at_kill": dict(sorted(self.batches_at_kill().items())),
            "kills_before_a_new_batch": sum(k.stored == k.before for k in self.kills),
            "kills_after_new_batches": sum(k.stored > k.before for k in self.kills),
            "kills_with_a_stored_batch_not_yet_acked": sum(k.stored > k.acked for k in self.kills),
            "problems": self.problems,
            "seconds": round(self.seconds, 1),
        }


class IngestRun:
    """One `tests.helpers.ingest_child` process: what it printed, and its progress. It is
    started ahead (importing graphmem takes seconds) and told its job by `go`."""

    def __init__(self) -> None:
        env = {**os.environ, "TQDM_MININTERVAL": "0", "TQDM_MINITERS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.ingest_child"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: list[dict[str, Any]] = []
        self.acks: list[tuple[float, int]] = []  # (monotonic time, messages shown done)
        self.stderr = bytearray()
        self._changed = threading.Condition()
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_lines, args=(self.process.stdout,), daemon=True),
            threading.Thread(target=self._read_progress, args=(self.process.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_lines(self, out: IO[bytes]) -> None:
        for line in out:
            with self._changed:
                self.lines.append(json.loads(line))
                self._changed.notify_all()

    def _read_progress(self, err: IO[bytes]) -> None:
        scanned = 0
        while chunk := err.read1(65536):  # type: ignore[attr-defined]
            with self._changed:
                self.stderr += chunk
                for match in _PROGRESS.finditer(self.stderr, scanned):
                    self.acks.append((time.monotonic(), int(match.group(1))))
                    scanned = match.end()
                self._changed.notify_all()

    def _wait(self, ready: Callable[[], object], timeout: float) -> bool:
        """Wait until `ready()` holds or the child exits; whether it holds."""
        with self._changed:
            self._changed.wait_for(lambda: ready() or self.process.poll() is not None, timeout)
            return bool(ready())

    def go(self, config: Path, source: Path, user: str, batch_size: int) -> None:
        """Ingest `source` into the store of `config` (see `tests.helpers.ingest_child`)."""
        job = {"config": str(config), "source": str(source), "user": user}
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({**job, "batch_size": batch_size}).encode() + b"\n")
        self.process.stdin.close()

    def before(self, timeout: float) -> list[str] | None:
        """What the child found stored when it opened (None if it exited or timed out)."""
        if not self._wait(lambda: self.lines, timeout):
            return None
        return list(self.lines[0]["before"])

    def wait_progress(self, done: int, timeout: float) -> bool:
        """Whether the child showed at least `done` messages done before it exited."""
        return self._wait(lambda: self.acked() >= done, timeout)

    def acked(self) -> int:
        """The most messages the child has shown done (-1: no progress shown yet)."""
        return max((n for _, n in self.acks), default=-1)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def finish(self, timeout: float) -> dict[str, Any] | None:
        """The child's last report once it exits 0 (None if it failed or timed out)."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for reader in self._readers:
            reader.join(10)
        return self.lines[-1] if code == 0 and len(self.lines) == 2 else None

    def close(self) -> None:
        """Kill the child if it still runs (a spare never told to go, too), and reap it."""
        if self.process.poll() is None:
            self.kill()
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        for reader in self._readers:
            reader.join(10)

    def tail(self) -> str:
        return self.stderr[-2000:].decode(errors="replace")


def crash_ingest(
    config: Path,
    workdir: Path,
    *,
    kills: int,
    rng: Random,
    messages: int = 101,
    batch_size: int = 10,
    window: float = 0.3,
    timeout: float = 180.0,
) -> IngestReport:
    """Kill ingesting children `kills` times and check the store after each (module doc).
    `config` is the children's JSON configuration file; inputs are written to `workdir`. A
    kill comes at a random time within `window` seconds of the arming, a window adapted as
    the kills go (`_Crasher._adapt`)."""
    report = IngestReport(batch_size, messages)
    crasher = _Crasher(config, workdir, kills, rng, window, timeout, report)
    started = time.monotonic()
    try:
        while len(report.kills) < kills:
            crasher.conversation()
    finally:
        crasher.spare.close()
    report.seconds = time.monotonic() - started
    return report


@dataclass
class _Crasher:
    """The state of one `crash_ingest`: its settings, report, kill window and spare child."""

    config: Path
    workdir: Path
    kills: int
    rng: Random
    window: float  # a kill comes within this many seconds of the arming
    timeout: float
    report: IngestReport
    spare: IngestRun = field(default_factory=IngestRun)  # imports while the current run writes

    def conversation(self) -> None:
        """Ingest one new conversation through kills until a run completes it."""
        report = self.report
        report.conversations += 1
        user = f"crash-{uuid.uuid4().hex[:10]}"
        records = conversation(user, report.messages)
        source = self.workdir / f"{user}.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in records))
        contents = [r["content"] for r in records]
        ends = batch_ends(len(contents), report.batch_size)
        pending: KillPoint | None = None
        while True:
            report.runs += 1
            where = f"{user}, run {report.runs}"
            run, self.spare = self.spare, IngestRun()
            run.go(self.config, source, user, report.batch_size)
            try:
                found = run.before(self.timeout)
                if found is None:
                    report.problems.append(f"{where}: did not open the store: {run.tail()}")
                    return
                stored = _whole_batches(found, contents, ends, report.problems, where)
                if pending is not None:
                    pending.stored = stored
                    _check_kill(pending, report.problems, where)
                    report.kills.append(pending)
                    self._adapt(pending)
                    pending = None
                writing = stored < len(contents) and len(report.kills) < self.kills
                if writing and run.wait_progress(stored, self.timeout):
                    pending = self._kill(run, stored, time.monotonic())
                    if pending is not None:
                        continue
                final = run.finish(self.timeout)
                _check_completion(final, stored, contents, report.problems, where, run)
                return
            finally:
                run.close()

    def _kill(self, run: IngestRun, stored: int, armed: float) -> KillPoint | None:
        """SIGKILL the run at a random time from its arming (None: it finished first)."""
        if not _still_running(run.process, self.rng.uniform(0, self.window)):
            return None
        acked, last_ack = run.acked(), max(t for t, _ in run.acks)
        run.kill()
        killed = time.monotonic()
        return KillPoint(stored, acked, killed - armed, killed - last_ack)

    def _adapt(self, kill: KillPoint) -> None:
        """Widen the window after a kill that found no new batch stored, narrow it after one
        that did: about half the kills hit a run's first batch, half the batches after it."""
        self.window = min(MAX_WINDOW, self.window * (0.8 if kill.stored > kill.before else 1.25))


def _still_running(process: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        return True
    return False


def _whole_batches(
    found: list[str], contents: list[str], ends: list[int], problems: list[str], where: str
) -> int:
    """How many messages are stored, when that is a prefix of whole batches (else a problem
    is noted and the count returned as it is)."""
    count = len(found)
    if count not in ends:
        problems.append(f"{where}: {count} messages stored: not whole batches ({ends})")
    elif Counter(found) != Counter(contents[:count]):
        missing = Counter(contents[:count]) - Counter(found)
        extra = Counter(found) - Counter(contents[:count])
        problems.append(f"{where}: stored is not the input's first {count}: "
                        f"missing {dict(missing)}, extra {dict(extra)}")  # fmt: skip
    return count


def _check_kill(kill: KillPoint, problems: list[str], where: str) -> None:
    if kill.stored < kill.acked:
        problems.append(f"{where}: {kill.acked} acknowledged, only {kill.stored} stored")
    if kill.stored < kill.before:
        problems.append(f"{where}: {kill.before} were stored, only {kill.stored} are now")


def _check_completion(
    final: dict[str, Any] | None,
    stored: int,
    contents: list[str],
    problems: list[str],
    where: str,
    run: IngestRun,
) -> None:
    if final is None:
        problems.append(f"{where}: the completing run failed: {run.tail()}")
        return
    summary = final["summary"]
    expected = {"messages": len(contents), "stored": len(contents) - stored, "skipped": stored}
    got = {key: summary[key] for key in expected}
    if got != expected:
        problems.append(f"{where}: the completing run's summary {got}, expected {expected}")
    if Counter(final["after"]) != Counter(contents):
        problems.append(f"{where}: after completion, stored {len(final['after'])} messages, "
                        f"not each of the {len(contents)} exactly once")  # fmt: skip

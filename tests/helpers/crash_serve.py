"""Kill -9 `graphmem serve` while REST clients write, restart it, and check what they saw.

`crash_serve(workdir, kills=..., rng=...)` serves a new home for one user (`graphmem serve
--user-id`, tests/helpers/served.py) and starts `Writer` threads, each writing its own unique
facts (``POST /relations``) and messages (``POST /memories``, infer false) in turn. After a
random number of acknowledged writes it SIGKILLs the serve process and starts a new one on the
same home: at once every other time, else once the killed server's engine process has exited.
The writers go on against whichever server `<home>/serve.json` names. At the end one export of
the scope (``POST /export``) is checked against what the writers saw:

* every acknowledged write (200, with the id it returned) is stored exactly once, under that
  id: one fact version with that text, or one episode with that content;
* a message whose answer was lost (sent, then the connection failed) is stored at most once,
  and nothing is stored that no writer sent.

How a writer retries: a call that could not connect was not sent, and is sent again; a fact
whose answer was lost is sent again too (a fact already stored is a NOOP answering its id), a
message is not (sent twice it would be stored twice: that is the caller's choice, not a fault).
Each request has a connection of its own, so a failed connect always means "not sent".

After each kill it records when the engine process of the killed server (`server.json`'s
pid, a child of serve) exited, and whether the new server reused it; after the last server is
stopped no process of the home may remain. Violations are `ServeReport.problems`.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import httpx

from graphmem.server import runfile

from .exported import episodes, fact_versions
from .served import start, wait_served, write_config

USER = "crash"
SEND_DEADLINE = 180.0  # seconds a writer keeps trying to reach a server for one write
ENGINE_EXIT = 60.0  # seconds an orphaned engine gets to exit


class Writer:
    """A REST client thread writing facts and messages in turn, until `stop`."""

    def __init__(self, name: str, home: Path, token: str, pause: float = 0.01) -> None:
        self.name, self.home, self.pause = name, home, pause
        self.acked: dict[str, tuple[str, str]] = {}  # stored text -> (kind, id answered)
        self.lost: list[str] = []  # messages sent whose answer was lost
        self.resent = 0  # facts sent again after a lost answer
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._client = httpx.Client(
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            limits=httpx.Limits(max_keepalive_connections=0),  # a connection per request
        )
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the write in progress, then stop."""
        self._stop.set()
        self._thread.join(SEND_DEADLINE + 60)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set() and not self.errors:
            if i % 2 == 0:
                body = {"subject": f"{self.name}-{i}", "relation": "KNOWS", "object": "Target"}
                self.send("relation", "/relations", body)
            else:
                message = {"messages": f"{self.name} says {i}", "infer": False}
                self.send("memory", "/memories", message)
            i += 1
            time.sleep(self.pause)
        self._client.close()

    def send(self, kind: str, path: str, body: dict[str, Any]) -> None:
        """One write, until acknowledged (or, for a message, its answer lost)."""
        deadline = time.monotonic() + SEND_DEADLINE
        text = str(body["messages"]) if kind == "memory" else ""
        while time.monotonic() < deadline:
            info = runfile.read(self.home)
            if info is None:
                time.sleep(0.1)
                continue
            try:
                answer = self._client.post(f"{info.url}{path}", json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout):  # not sent
                time.sleep(0.1)
                continue
            except httpx.TransportError:  # sent; the server went away before answering
                if kind == "memory":
                    self.lost.append(text)
                    return
                self.resent += 1
                continue
            if answer.status_code == 200:
                result = answer.json()["results"][0]
                self.acked[result["memory"]] = (kind, result["id"])
                return
            self.errors.append(f"{path} {body}: {answer.status_code} {answer.text[:300]}")
            return
        self.errors.append(f"{path} {body}: no server answered within {SEND_DEADLINE} s")


@dataclass
class ServeReport:
    """What a `crash_serve` did and saw."""

    kills: list[dict[str, Any]] = field(default_factory=list)
    acked: Counter[str] = field(default_factory=Counter)  # acknowledged writes, by kind
    lost: int = 0
    lost_stored: int = 0  # of the lost answers, the writes that were stored all the same
    resent: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "kills": len(self.kills),
            "acknowledged": dict(self.acked),
            "answers_lost": self.lost,
            "lost_answers_stored": self.lost_stored,
            "facts_resent": self.resent,
            "restart_seconds": [k["restart_seconds"] for k in self.kills],
            "engine_exit_seconds": [k["engine_exit_seconds"] for k in self.kills],
            "engines_reused": sum(k["engine_reused"] for k in self.kills),
            "kill_log": self.kills,
            "problems": self.problems,
            "seconds": round(self.seconds, 1),
        }


def crash_serve(
    workdir: Path, *, kills: int, rng: Random, writers: int = 3, writes: tuple[int, int] = (10, 40)
) -> ServeReport:
    """Kill the server `kills` times, each after a random number (in `writes`) of acknowledged
    writes, and check the writes (see the module docstring)."""
    report = ServeReport()
    started = time.monotonic()
    home = workdir / "home"
    config = write_config(home)
    process = start(config, home, "--user-id", USER)
    team: list[Writer] = []
    try:
        url = wait_served(home, process)
        token = (home / "token").read_text().strip()
        team = [Writer(f"w{n}", home, token) for n in range(writers)]
        for k in range(kills):
            _wait_acked(team, rng.randint(*writes), report)
            acked = _acked(team)
            killed = _kill_and_restart(config, home, process, at_once=k % 2 == 0)
            process, url = killed.pop("process"), killed.pop("url")
            report.kills.append({"acked_before": acked, **killed})
            if killed["engine_exit_seconds"] is None and not killed["engine_reused"]:
                report.problems.append(f"the engine {killed['engine']} outlived its server")
        _wait_acked(team, writes[0], report)  # the writers got on with the last server
        for writer in team:
            writer.stop()
        _check(team, _export(url, token), report)
    finally:
        for writer in team:
            writer.stop()
        _stop(process)
    report.problems += [
        f"after the last stop: {p}" for p in _strays(home, [k["engine"] for k in report.kills])
    ]
    report.seconds = time.monotonic() - started
    return report


def _acked(team: list[Writer]) -> int:
    return sum(len(w.acked) for w in team)


def _wait_acked(team: list[Writer], more: int, report: ServeReport, timeout: float = 240) -> None:
    """Wait for `more` writes acknowledged from now (a writer's error is a problem)."""
    target, deadline = _acked(team) + more, time.monotonic() + timeout
    while _acked(team) < target and time.monotonic() < deadline:
        if any(w.errors for w in team):
            break
        time.sleep(0.01)
    if _acked(team) < target:
        report.problems.append(f"the writers stopped getting answers at {_acked(team)} writes")


def _kill_and_restart(
    config: Path, home: Path, process: subprocess.Popen[bytes], *, at_once: bool
) -> dict[str, Any]:
    """SIGKILL the server and start a new one (at once, or once the old engine exited): the
    new server's process and URL, and what became of the old engine."""
    engine = _engine_pid(home)
    process.kill()
    process.wait()
    killed = time.monotonic()
    replacement = start(config, home, "--user-id", USER) if at_once else None
    exited = _wait_exit(engine, ENGINE_EXIT)
    engine_exit = None if exited is None else round(exited - killed, 2)
    if replacement is None:
        replacement = start(config, home, "--user-id", USER)
    try:
        url = wait_served(home, replacement)
    except BaseException:
        _stop(replacement)
        raise
    return {
        "process": replacement,
        "url": url,
        "restart": "at once" if at_once else "after the engine exited",
        "engine": engine,
        "engine_exit_seconds": engine_exit,
        "engine_reused": _engine_pid(home) == engine,
        "restart_seconds": round(time.monotonic() - killed, 2),
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a server and reap it (SIGKILL if it does not exit within a minute)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _engine_pid(home: Path) -> int:
    """The pid of the process running the home's engine (`server.json`)."""
    return int(json.loads((home / "server.json").read_text())["pid"])


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _wait_exit(pid: int, timeout: float) -> float | None:
    """When process `pid` was seen gone (monotonic), or None if it still runs after `timeout`."""
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)
    return time.monotonic()


def _export(url: str, token: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{url}/export", json={"include_embeddings": False},
        headers={"Authorization": f"Bearer {token}"}, timeout=120,
    )  # fmt: skip
    answer.raise_for_status()
    return dict(answer.json())


def _check(team: list[Writer], doc: dict[str, Any], report: ServeReport) -> None:
    stored: Counter[str] = Counter()
    ids: dict[str, set[str]] = {}
    for e in episodes(doc):
        stored[e["content"]] += 1
        ids.setdefault(e["content"], set()).add(e["id"])
    for v in fact_versions(doc):
        stored[v["fact"]] += 1
        ids.setdefault(v["fact"], set()).add(v["memory_id"])
    sent: set[str] = set()
    for writer in team:
        report.problems += [f"{writer.name}: {e}" for e in writer.errors]
        report.lost += len(writer.lost)
        report.resent += writer.resent
        for text, (kind, memory_id) in writer.acked.items():
            report.acked[kind] += 1
            if stored[text] != 1 or ids[text] != {memory_id}:
                report.problems.append(f"acknowledged {kind} {text!r} ({memory_id}): stored "
                                       f"{stored[text]} times as {ids.get(text)}")  # fmt: skip
        for text in writer.lost:
            report.lost_stored += stored[text] == 1
            if stored[text] > 1:
                report.problems.append(f"lost answer {text!r}: stored {stored[text]} times")
        sent |= set(writer.acked) | set(writer.lost)
    for text in set(stored) - sent:
        report.problems.append(f"stored {text!r}, which no writer saw sent")


def _strays(home: Path, engines: list[int]) -> list[str]:
    """Processes left of the home once its last server stopped: the engines of killed
    servers, and any process whose command line names the home (a serve, an engine)."""
    deadline = time.monotonic() + ENGINE_EXIT
    while time.monotonic() < deadline:
        left = [pid for pid in engines if _alive(pid)] + _named(str(home))
        if not left:
            return []
        time.sleep(0.2)
    return [f"process {pid} still runs" for pid in sorted(set(left))]


def _named(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                found.append(int(entry.name))
    return found

"""One soak worker process: mixed operations on its own users until a deadline, each checked
against the reference model (`benchmarks.soak_model`), then the final checks of every user
it wrote (`benchmarks.soak_checks`). It writes one JSON result file.

Calls go through the REST API (`MemoryClient`) where the server has a route, and through a
library `Memory` connected to the served home for `add_many`, `forget_episode` and
`merge_entities` (no REST route). The worker keeps two exact users and one extractor user
live at a time; each is retired after `ops_per_user` operations and replaced by a new one, so
the store grows while every user's model stays small. Foreign ids (a memory and an episode of
each user of the other workers, published in `peers/`) are probed through the worker's own
user: every read and write of them must be refused as not found.

The result: ``{"index", "ops": [[op, seconds since start, ms], ...], "errors": [{"op",
"type", "typed", "message"}], "problems": {kind: {"count", "examples"}}, "users": {...}}``.
An error is any exception a call raised that the model did not predict; `typed` says whether
it was one of graphmem's own error classes (not the `GraphmemError` base that stands for an
answer the client could not name, e.g. a 500).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.soak_checks import (
    Problem,
    chain_problems,
    current_problems,
    export_problems,
    result_problems,
)
from benchmarks.soak_model import UserModel
from graphmem import Memory
from graphmem.client import MemoryClient
from graphmem.errors import GraphmemError, NotFoundError
from graphmem.ontology import Ontology, load_ontology
from graphmem.store.embedded import stop_all

T = TypeVar("T")
PEOPLE = ("Ann", "Bob", "Carl", "Dora", "Emil")
OBJECTS = {
    "LIVES_IN": ("Oslo", "Rome", "Lima", "Kyiv", "Quito", "Hanoi"),
    "WORKS_AT": ("Acme", "Globex", "Initech", "Umbrella", "Hooli"),
    "LIKES": ("sushi", "olives", "tea", "jazz", "chess"),
}
SAYINGS = ("I live in {city}.", "I moved to {city}.", "I work at {org}.", "I like {thing}.")
QUESTIONS = ("Where does {p} live?", "Where does {p} work?", "What does {p} like?", "{o}")
# Operation -> weight: how often the loop picks it.
WEIGHTS = {
    "add_relation": 26,
    "add": 8,
    "add_many": 5,
    "search": 12,
    "get_all": 5,
    "get": 5,
    "update": 8,
    "delete": 4,
    "history": 4,
    "forget_episode": 5,
    "merge_entities": 2,
    "export": 2,
    "probe": 4,
    "extract": 6,
}
EXAMPLES = 12  # problem sentences kept per kind
PAGE = 500


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker is told: the server, the home (for the library calls), who it is."""

    index: int
    url: str
    token: str
    home: str
    run: str
    seed: int
    seconds: float
    ops_per_user: int
    peers: str  # folder of the workers' published ids
    out: str  # the result file


def run_worker(spec: WorkerSpec, ready: Any) -> None:
    """The process's entry point: set up, wait at `ready` (a barrier shared with the other
    workers and the parent), run, check, write the result file."""
    try:
        with (
            MemoryClient(spec.url, spec.token, timeout=120) as client,
            Memory(_library_config(spec.home)) as memory,
        ):
            worker = Worker(spec, client, memory, load_ontology())
            ready.wait()
            worker.loop()
            worker.final_checks()
            Path(spec.out).write_text(json.dumps(worker.result()))
    except BaseException:
        ready.abort()  # nobody waits for a worker that failed to start
        raise
    finally:
        stop_all()  # never leaves an engine behind, should this process have become its owner


def _library_config(home: str) -> dict[str, Any]:
    return {"store": {"home": home}, "embedder": {"provider": "hashing", "dimensions": 384}}


class Worker:
    """The operations, the models of the worker's users, and what it measured."""

    def __init__(
        self, spec: WorkerSpec, client: MemoryClient, memory: Memory, ontology: Ontology
    ) -> None:
        self.spec, self.client, self.memory = spec, client, memory
        self.rng = random.Random(spec.seed * 7919 + spec.index)
        self.functional = frozenset(
            r.name for r in ontology.relation_types if r.cardinality == "one"
        )
        self.ontology = ontology
        self.users: list[UserModel] = []  # every user, retired ones too
        self.extractor = self._new_user(exact=False)
        self.live = [self._new_user(exact=True) for _ in range(2)]
        self.used: Counter[str] = Counter()
        self.recent: dict[str, list[str]] = {}  # user -> its latest episodes
        self.foreign: list[dict[str, str]] = []
        self.ops: list[tuple[str, float, float]] = []
        self.errors: list[dict[str, Any]] = []
        self.problems: dict[str, dict[str, Any]] = {}
        self.seen: set[Problem] = set()
        self.started = time.monotonic()
        self.published: set[str] = set()

    # -- the loop ------------------------------------------------------------------------------

    def loop(self) -> None:
        self.started = time.monotonic()
        operations = {name: getattr(self, f"op_{name}") for name in WEIGHTS}
        names, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() - self.started < self.spec.seconds:
            name = self.rng.choices(names, weights)[0]
            try:
                operations[name]()
            except Exception as exc:  # every unpredicted failure is an error of the soak
                self.error(name, exc)

    def call(self, op: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Make one call, `fn(*args, **kwargs)`, timed as `op`."""
        t0 = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            self.ops.append((op, t0 - self.started, (time.monotonic() - t0) * 1000))

    def refused(self, op: str, fn: Callable[[], Any]) -> bool:
        """Whether the call raised NotFoundError (timed as `op`)."""
        try:
            self.call(op, fn)
        except NotFoundError:
            return True
        return False

    def error(self, op: str, exc: BaseException) -> None:
        typed = isinstance(exc, GraphmemError) and type(exc) is not GraphmemError
        self.errors.append(
            {"op": op, "type": type(exc).__name__, "typed": typed, "message": str(exc)[:500]}
        )

    def report(self, problems: list[Problem]) -> None:
        """Count each problem once, however often a later check finds it again."""
        for problem in problems:
            if problem in self.seen:
                continue
            self.seen.add(problem)
            entry = self.problems.setdefault(problem[0], {"count": 0, "examples": []})
            entry["count"] += 1
            if len(entry["examples"]) < EXAMPLES:
                entry["examples"].append(problem[1])

    # -- users ---------------------------------------------------------------------------------

    def _new_user(self, *, exact: bool) -> UserModel:
        kind = "u" if exact else "x"
        name = f"soak-{self.spec.run}-w{self.spec.index}-{kind}{len(self.users)}"
        model = UserModel(name, self.functional, exact=exact)
        self.users.append(model)
        return model

    def user(self) -> UserModel:
        """A live exact user; one that has had its share of operations is replaced first."""
        slot = self.rng.randrange(len(self.live))
        model = self.live[slot]
        self.used[model.user] += 1
        if self.used[model.user] > self.spec.ops_per_user:
            model = self.live[slot] = self._new_user(exact=True)
        return model

    def episodes_of(self, model: UserModel, ids: list[str]) -> None:
        model.add_episodes(ids)
        self.recent[model.user] = (self.recent.get(model.user, []) + ids)[-4:]
        self.publish(model, "episode", ids[0])

    def publish(self, model: UserModel, kind: str, value: str) -> None:
        """Tell the other workers one id of each kind of each user (for their probes)."""
        key = f"{model.user}/{kind}"
        if key in self.published:
            return
        self.published.add(key)
        line = json.dumps({"user": model.user, "kind": kind, "id": value})
        with open(Path(self.spec.peers) / f"w{self.spec.index}.jsonl", "a") as f:
            f.write(line + "\n")

    def source(self, model: UserModel) -> str | None:
        """One of the user's latest episodes still stored (half the time), as a source."""
        choices = [e for e in self.recent.get(model.user, []) if e in model.episodes]
        return self.rng.choice(choices) if choices and self.rng.random() < 0.5 else None

    def memory_of(self, model: UserModel) -> str | None:
        return self.rng.choice(sorted(model.facts)) if model.facts else None

    # -- writes --------------------------------------------------------------------------------

    def op_add_relation(self) -> None:
        m = self.user()
        relation = self.rng.choice(sorted(OBJECTS))
        subject, target = self.rng.choice(PEOPLE), self.rng.choice(OBJECTS[relation])
        source = self.source(m)
        said = (m.canonical(subject), relation, m.canonical(target))
        [event] = self.call(
            "add_relation",
            lambda: self.client.add_relation(
                subject, relation, target, user_id=m.user, source=source
            ),
        )["results"]
        got = (event["source"], event["relationship"], event["target"])
        if got != said:
            why = f"add_relation {(subject, relation, target)} of {m.user} names {got}"
            self.report([("reference", f"{why}, the model: {said}")])
            m.resolved(subject, event["source"])
            m.resolved(target, event["target"])
        expected, mids = m.expect_add(subject, relation, target)
        if (
            event["event"] != expected
            or (mids and event["id"] not in mids)
            or event.get("user_id") != m.user
        ):
            why = f"add_relation {got} of {m.user}: {event['event']} {event['id']}"
            self.report([("reference", f"{why}, the model: {expected} of {sorted(mids)}")])
            m.taint(event["id"], why)
        if event["id"] in m.tainted and event["event"] != "ADD":
            return
        m.apply_event(event, {source} if source else set())
        self.publish(m, "memory", event["id"])

    def op_add(self) -> None:
        m = self.user()
        said = [{"role": "user", "content": self.text()} for _ in range(self.rng.randint(1, 2))]
        out = self.call("add", lambda: self.client.add(said, user_id=m.user, infer=False))
        self.episodes_of(m, [e["id"] for e in out["results"]])

    def op_add_many(self) -> None:
        batch = [self.user() for _ in range(self.rng.randint(2, 5))]
        items = [{"messages": self.text(), "user_id": m.user, "infer": False} for m in batch]
        results = self.call("add_many", lambda: self.memory.add_many(items))
        for m, result in zip(batch, results, strict=True):
            self.episodes_of(m, [e["id"] for e in result["results"]])

    def op_update(self) -> None:
        m = self.user()
        mid = self.memory_of(m)
        if mid is None or mid in m.tainted:
            return
        fact = m.facts[mid]
        target = self.rng.choice(OBJECTS[fact.relation])
        if fact.current is None:
            if not self.refused("update", lambda: self.client.update(mid, target, user_id=m.user)):
                self.report([("reference", f"update of closed {mid} of {m.user} accepted")])
                m.taint(mid, "a closed memory was updated")
            return
        [event] = self.call("update", lambda: self.client.update(mid, target, user_id=m.user))[
            "results"
        ]
        if event["target"] != m.canonical(target):
            why = f"update of {mid} to {target} names {event['target']}"
            self.report([("reference", f"{why}, the model: {m.canonical(target)}")])
            m.resolved(target, event["target"])
        m.update(mid, event["target"])
        if event["event"] != "UPDATE" or event["id"] != mid:
            self.report([("reference", f"update of {mid} to {target}: {event}")])
            m.taint(mid, "update answered otherwise")

    def op_delete(self) -> None:
        m = self.user()
        mid = self.memory_of(m)
        if mid is None or mid in m.tainted:
            return
        if m.facts[mid].current is None:
            if not self.refused("delete", lambda: self.client.delete(mid, user_id=m.user)):
                self.report([("reference", f"delete of closed {mid} of {m.user} accepted")])
                m.taint(mid, "a closed memory was deleted")
            return
        self.call("delete", lambda: self.client.delete(mid, user_id=m.user))
        m.delete(mid)

    def op_forget_episode(self) -> None:
        m = self.user()
        recent = [e for e in self.recent.get(m.user, []) if e in m.episodes]
        pool = recent if recent and self.rng.random() < 0.7 else sorted(m.episodes)
        if not pool:
            return
        episode = self.rng.choice(pool)
        touched = {f.id for f in m.facts.values() if any(episode in v.episodes for v in f.versions)}
        out = self.call(
            "forget_episode", lambda: self.memory.forget_episode(episode, user_id=m.user)
        )
        got = Counter(e["event"] for e in out["results"])
        want = m.forget(episode)
        if (got["DELETE"], got["UPDATE"]) != want:
            said = [(e["event"], e["id"], e["target"], e["version"]) for e in out["results"]]
            why = (
                f"forget_episode {episode} of {m.user}: {said}, the model: (DELETE, UPDATE) {want}"
            )
            self.report([("reference", why)])
            for mid in touched | {e["id"] for e in out["results"]}:
                m.taint(mid, why)

    def op_merge_entities(self) -> None:
        m = self.user()
        names = self.rng.choice([PEOPLE, OBJECTS["LIVES_IN"], OBJECTS["LIKES"]])
        pool = [n for n in names if n in m.entities]
        if len(pool) < 2:
            return
        keep, gone = self.rng.sample(pool, 2)
        out = self.call(
            "merge_entities", lambda: self.memory.merge_entities(keep, gone, user_id=m.user)
        )
        closed = [f["id"] for f in out["results"][0]["closed"]]
        relations = m.relations_of(gone)
        want = m.merge(keep, gone)
        m.close([mid for mid in closed if mid in m.facts and m.facts[mid].current])
        left = m.merge_duplicates(keep, relations)
        if len(closed) != want or left:
            why = (
                f"merge_entities({keep}, {gone}) of {m.user} closed {len(closed)}, the rules "
                f"{want}; still current duplicates: {left}"
            )
            self.report([("reference", why)])

    def op_extract(self) -> None:
        m = self.extractor
        self.used[m.user] += 1
        if self.used[m.user] > self.spec.ops_per_user:
            m = self.extractor = self._new_user(exact=False)
        message = {"role": "user", "name": self.rng.choice(PEOPLE), "content": self.saying()}
        out = self.call("extract", lambda: self.client.add(message, user_id=m.user))
        if out.get("waiting"):
            self.report([("reference", f"extraction is waiting: {out.get('extraction_error')}")])
        self.episodes_of(m, [e["id"] for e in out["episodes"]])
        for event in out["results"]:
            m.apply_event(event, set(event.get("episode_ids") or []))
            self.publish(m, "memory", event["id"])

    # -- reads ---------------------------------------------------------------------------------

    def any_user(self) -> UserModel:
        return self.extractor if self.rng.random() < 0.25 else self.user()

    def op_search(self) -> None:
        m = self.any_user()
        question = self.rng.choice(QUESTIONS).format(
            p=self.rng.choice(PEOPLE), o=self.rng.choice(OBJECTS["LIVES_IN"])
        )
        out = self.call("search", lambda: self.client.search(question, user_id=m.user))
        self.report(result_problems(m, out["results"]))

    def op_get_all(self) -> None:
        m = self.any_user()
        self.report(current_problems(m, self.current_facts(m, "get_all"), self.ontology))

    def current_facts(self, m: UserModel, op: str) -> list[dict[str, Any]]:
        facts: list[dict[str, Any]] = []
        for page in range(1, 10_000):
            got = self.call(op, self.client.get_all, user_id=m.user, page=page, page_size=PAGE)
            got = got["results"]
            facts += got
            if len(got) < PAGE:
                return facts
        raise AssertionError("unreachable: a user has fewer than 5M facts")

    def op_get(self) -> None:
        m = self.user()
        mid = self.memory_of(m)
        if mid is None:
            return
        record = self.call("get", lambda: self.client.get(mid, user_id=m.user))
        last = m.facts[mid].versions[-1]
        got = None if record is None else (record["target"], record["status"])
        if mid not in m.tainted and got != (last.target, last.status):
            self.report([("count", f"get {mid} of {m.user}: {got}, the model: {last}")])

    def op_history(self) -> None:
        m = self.any_user()
        mid = self.memory_of(m)
        if mid is None:
            return
        events = self.call("history", lambda: self.client.history(mid, user_id=m.user))
        fact = None if mid in m.tainted else m.facts[mid]
        self.report(chain_problems(mid, events, fact))

    def op_export(self) -> None:
        m = self.any_user()
        doc = self.call(
            "export", lambda: self.client.export(user_id=m.user, include_embeddings=False)
        )
        self.report(export_problems(m, doc))

    def op_probe(self) -> None:
        """Another worker's memory or episode, through one of this worker's users: refused."""
        if not self.foreign or self.rng.random() < 0.1:
            self.foreign = self.read_peers()
        if not self.foreign:
            return
        m, peer = self.user(), self.rng.choice(self.foreign)
        fid = peer["id"]
        if peer["kind"] == "episode":
            probes = {"forget_episode": lambda: self.memory.forget_episode(fid, user_id=m.user)}
        else:
            probes = {
                "history": lambda: self.client.history(fid, user_id=m.user),
                "update": lambda: self.client.update(fid, "Oslo", user_id=m.user),
                "delete": lambda: self.client.delete(fid, user_id=m.user),
            }
            if self.call("probe", lambda: self.client.get(fid, user_id=m.user)) is not None:
                self.report([("cross_owner", f"{m.user} can get {peer['user']}'s {fid}")])
        for name, probe in probes.items():
            if not self.refused("probe", probe):
                self.report([("cross_owner", f"{m.user} can {name} {peer['user']}'s {fid}")])

    def read_peers(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        for path in sorted(Path(self.spec.peers).glob("w*.jsonl")):
            if path.name != f"w{self.spec.index}.jsonl":
                found += [json.loads(line) for line in path.read_text().splitlines() if line]
        return found

    # -- texts ---------------------------------------------------------------------------------

    def text(self) -> str:
        words = [self.rng.choice(PEOPLE), *(self.rng.choice(v) for v in OBJECTS.values())]
        return f"{words[0]} talked about {words[1]}, {words[2]} and {words[3]}."

    def saying(self) -> str:
        return self.rng.choice(SAYINGS).format(
            city=self.rng.choice(OBJECTS["LIVES_IN"]),
            org=self.rng.choice(OBJECTS["WORKS_AT"]),
            thing=self.rng.choice(OBJECTS["LIKES"]),
        )

    # -- the end -------------------------------------------------------------------------------

    def final_checks(self) -> None:
        """Every user the worker wrote: its current facts, every memory's history, its
        export. Timed as `final_*` (after the deadline)."""
        for m in self.users:
            try:
                self.check_user(m)
            except Exception as exc:
                self.error("final", exc)

    def check_user(self, m: UserModel) -> None:
        self.report(current_problems(m, self.current_facts(m, "final_get_all"), self.ontology))
        for mid in sorted(m.facts):
            events = self.call("final_history", self.client.history, mid, user_id=m.user)
            self.report(chain_problems(mid, events, None if mid in m.tainted else m.facts[mid]))
        doc = self.call(
            "final_export", lambda: self.client.export(user_id=m.user, include_embeddings=False)
        )
        self.report(export_problems(m, doc))

    def result(self) -> dict[str, Any]:
        return {
            "index": self.spec.index,
            "seconds": time.monotonic() - self.started,
            "ops": self.ops,
            "errors": self.errors,
            "problems": self.problems,
            "users": {
                m.user: {
                    "exact": m.exact,
                    "facts_current": len(m.current()),
                    "memories": len(m.facts),
                    "versions": sum(len(f.versions) for f in m.facts.values()),
                    "episodes": len(m.episodes),
                    "tainted": m.tainted,
                }
                for m in self.users
            },
        }

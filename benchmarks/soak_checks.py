"""The soak's invariants, as pure functions of what the store answered and of the reference
model (`benchmarks.soak_model`). Each returns the problems it found as ``(kind, sentence)``
pairs; none means the invariant holds. The kinds:

- ``chain``: a memory's history is not versions 1..n (ADD, then UPDATEs), each closed at the
  recorded time of the next, with at most the last one current, or differs from the model;
- ``functional``: a subject has two current values of a functional relation;
- ``cross_owner``: a read of one user's memory showed a fact, episode or source that is not
  that user's (an id the user's worker never stored, or another `user_id`);
- ``count``: the current facts, the episodes or the fact versions differ from the model
  (a lost or an invented write);
- ``text``: a fact's sentence does not say its subject, relation and object;
- ``reference``: a call answered otherwise than the model predicted (see `soak_worker`).
"""

from __future__ import annotations

from typing import Any

from benchmarks.soak_model import Fact, UserModel
from graphmem.facts import fact_text
from graphmem.ontology import Ontology
from graphmem.scope import Scope

Problem = tuple[str, str]
CLOSED = ("superseded", "retracted")  # a version with a successor was closed so


def chain_problems(mid: str, events: list[dict[str, Any]], fact: Fact | None) -> list[Problem]:
    """`history(mid)` against the chain rules, and against `fact` unless it is None (a memory
    the model does not predict any more)."""
    out: list[Problem] = []
    versions = [e for e in events if e["event"] != "DELETE"]
    numbers = [e["version"] for e in versions]
    if numbers != list(range(1, len(numbers) + 1)):
        out.append(("chain", f"{mid}: versions {numbers}, not 1..{len(numbers)}"))
    kinds = [e["event"] for e in versions]
    if kinds != ["ADD"] + ["UPDATE"] * (len(kinds) - 1):
        out.append(("chain", f"{mid}: events {kinds}"))
    for a, b in zip(versions, versions[1:], strict=False):
        if a["status"] not in CLOSED:
            out.append(("chain", f"{mid}: v{a['version']} is {a['status']} before v{b['version']}"))
        elif a["expired_at"] != b["recorded_at"]:
            out.append(
                (
                    "chain",
                    f"{mid}: v{a['version']} closed at {a['expired_at']}, v{b['version']} "
                    f"recorded at {b['recorded_at']}",
                )
            )
    last = versions[-1]["status"] if versions else None
    deleted = any(e["event"] == "DELETE" for e in events)
    if deleted != (last in ("deleted", "expired")):
        out.append(("chain", f"{mid}: last version {last}, DELETE event: {deleted}"))
    if fact is not None:
        got = [(e["target"], e["status"]) for e in versions]
        want = [(v.target, v.status) for v in fact.versions]
        if got != want:
            out.append(("chain", f"{mid}: versions {got}, the model says {want}"))
    return out


def names(model: UserModel, entity: str) -> set[str]:
    """What a fact's sentence may call `entity`: its name, or a name merged into it (a fact
    keeps the words it was stated in)."""
    return {entity} | {a for a, kept in model.aliases.items() if kept == entity}


def current_problems(
    model: UserModel, facts: list[dict[str, Any]], ontology: Ontology
) -> list[Problem]:
    """`get_all` of the model's user (every page) against the model: no other owner's fact,
    one current value per functional relation, every sentence right (in its names), the
    model's facts."""
    out: list[Problem] = []
    seen: dict[tuple[str, str], str] = {}
    for f in facts:
        if f.get("user_id") != model.user or f["id"] not in model.facts:
            out.append(("cross_owner", f"{model.user} got {f['id']} of {f.get('user_id')}"))
        rel = ontology.relation(f["relationship"])
        if rel.cardinality == "one":
            other = seen.setdefault((f["source"], f["relationship"]), f["id"])
            if other != f["id"]:
                out.append(
                    (
                        "functional",
                        f"{model.user}: {f['source']} {f['relationship']} is current in "
                        f"{other} and {f['id']}",
                    )
                )
        said = {
            fact_text(rel, s, o)
            for s in names(model, f["source"])
            for o in names(model, f["target"])
        }
        if f["memory"] not in said:
            out.append(("text", f"{f['id']}: {f['memory']!r} for {f['source']} -> {f['target']}"))
    got = {f["id"]: (f["source"], f["relationship"], f["target"]) for f in facts}
    want = model.current()
    for mid in sorted(set(got) | set(want)):
        if mid in model.tainted or got.get(mid) == want.get(mid):
            continue
        out.append(("count", f"{model.user}: {mid} is {got.get(mid)}, the model: {want.get(mid)}"))
    return out


def export_problems(model: UserModel, doc: dict[str, Any]) -> list[Problem]:
    """The export of the model's user against the model: its owner only, the model's episodes,
    and every version of every memory (status, object, source episodes)."""
    out: list[Problem] = []
    nodes, rels = doc["nodes"], doc["relationships"]
    mine = Scope.of(model.user).owner
    for item in nodes + rels:
        owner = item["properties"].get("owner")
        if owner not in (None, mine):
            out.append(("cross_owner", f"the export of {mine} holds {owner}'s data"))
    names = {n["id"]: n["properties"].get("name") for n in nodes if "Entity" in n["labels"]}
    episodes = {n["id"] for n in nodes if "Episode" in n["labels"]}
    if episodes != model.episodes:
        out.append(
            (
                "count",
                f"{model.user}: {len(episodes)} episodes exported, the model has "
                f"{len(model.episodes)} ({len(episodes - model.episodes)} unknown)",
            )
        )
    chains: dict[str, list[dict[str, Any]]] = {}
    for r in rels:
        if r["start"] in names:
            chains.setdefault(r["properties"]["memory_id"], []).append(r)
    for mid in sorted(set(chains) | set(model.facts)):
        fact = model.facts.get(mid)
        if mid in model.tainted or (fact is not None and not model.exact):
            continue
        got = [
            (names.get(r["end"]), r["properties"]["status"], set(r["properties"]["episode_ids"]))
            for r in sorted(chains.get(mid, []), key=lambda r: r["properties"]["version"])
        ]
        want = [(v.target, v.status, v.episodes) for v in fact.versions] if fact else []
        if got != want:
            out.append(("count", f"{model.user}: {mid} exported as {got}, the model: {want}"))
    return out


def result_problems(model: UserModel, results: list[dict[str, Any]]) -> list[Problem]:
    """Search results for the model's user: every fact (derived ones: both facts it is made
    of), episode and cited source is the user's."""
    out: list[Problem] = []
    for r in results:
        if r.get("type") == "episode":
            ids = {r["id"]} - model.known_episodes
        elif str(r["id"]).startswith("derived:"):
            ids = set(str(r["id"]).split(":")[2:]) - set(model.facts)
        else:
            ids = {r["id"]} - set(model.facts)
        ids |= {s["id"] for s in r.get("sources") or []} - model.known_episodes
        if r.get("user_id") not in (None, model.user):
            ids.add(f"user {r['user_id']}")
        if ids:
            out.append(("cross_owner", f"search for {model.user} returned {sorted(ids)}"))
    return out

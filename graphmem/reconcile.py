"""Reconciliation: what a candidate fact does to the current ones (ADD, UPDATE, DELETE, NOOP).

Driven by the ontology, for facts from `add()` (offline or LLM extraction) and `add_relation()`:

* the same fact again (also seen from the other end of a symmetric or inverse relation) is a
  NOOP: its provenance grows, no duplicate edge;
* a fact contradicting a current one on the same object (DISLIKES vs LIKES) UPDATEs that
  memory to the new relation; a negated fact ("no longer friends") DELETEs the one it denies;
* a functional relation (cardinality one) with a new object UPDATEs the same memory, unless
  the new fact is older than the current value (it arrived late): then it goes into its place
  in the chain (graphmem/timeline.py), and the current value stays; a symmetric one
  (MARRIED_TO) has one current value at each end, so the object's current value is
  superseded too;
* an immutable memory is never changed this way (only by `update`/`delete`): the candidate
  is dropped with event NONE; an expired one is closed first (status "expired");
* anything else is a new memory (ADD).

>>> from graphmem.ontology import RelationType
>>> lives_in = RelationType(name="LIVES_IN", cardinality="one")
>>> berlin = {"id": "m1", "other_id": "berlin", "kind": "same", "valid_from": "2020-01-01",
...           "immutable": False}
>>> decide(lives_in, "paris", [berlin], start="2024-01-01").event
'UPDATE'
>>> decide(lives_in, "paris", [berlin], start="2019-01-01").historical
True
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from . import records, timeline
from .context import Context
from .effects import TxSteps, run
from .facts import Fact, close_version, create_version
from .ontology import Ontology, RelationType
from .resolve import entity_id, name_key
from .scope import Scope

Event = Literal["ADD", "UPDATE", "DELETE", "NOOP", "NONE"]


@dataclass(frozen=True)
class Decision:
    """What to do with a candidate: the event, the memory it repeats, replaces or deletes,
    which current versions to close, and whether it is written as a closed past version."""

    event: Event
    existing: dict[str, Any] | None = None
    close: list[dict[str, Any]] = field(default_factory=list)
    historical: bool = False
    reason: str | None = None


def decide(
    relation: RelationType,
    object_id: str,
    related: list[dict[str, Any]],
    *,
    start: str | None,
    negated: bool = False,
    replaces: str | None = None,
) -> Decision:
    """Decide from `related`: the subject's current facts of this relation (`kind` "same",
    seen from either end for symmetric and inverse relations) and of the relations it
    contradicts (`kind` "contradicts"), each with `other_id`, the entity at the other end.
    Newest first. `start` is when the candidate became true (its valid_from, else the time
    of the message)."""
    same = [f for f in related if f["kind"] == "same"]
    match = [f for f in same if f["other_id"] == object_id]
    if negated:
        if not match:
            return Decision("NONE", reason="nothing current to retract")
        return _unless_immutable(Decision("DELETE", existing=match[0], close=match))
    if relation.cardinality == "one" and same and start:
        newest = max(same, key=lambda f: f["valid_from"] or "")
        said = [t for t in [newest["valid_from"], *newest.get("asserted_from", [])] if t]
        if (newest["valid_from"] and start < newest["valid_from"]) or (
            newest["other_id"] != object_id and said and start < max(said)
        ):  # it arrived late: before the current value began, or was last said to begin
            return Decision("ADD", existing=newest, historical=True)
    if match:
        return Decision("NOOP", existing=match[0])
    opposed = [f for f in related if f["kind"] == "contradicts" and f["other_id"] == object_id]
    if opposed:
        return _unless_immutable(Decision("UPDATE", existing=opposed[0], close=opposed))
    named = [f for f in related if replaces and f["id"] == replaces]
    if named:  # an LLM said which memory this one updates
        return _unless_immutable(Decision("UPDATE", existing=named[0], close=named))
    if relation.cardinality == "one" and same:
        newest = max(same, key=lambda f: f["valid_from"] or "")
        return _unless_immutable(Decision("UPDATE", existing=newest, close=same))
    return Decision("ADD")


def _unless_immutable(decision: Decision) -> Decision:
    if any(f.get("immutable") for f in decision.close):
        return Decision("NONE", existing=decision.existing, reason="immutable")
    return decision


def fold_changes(facts: list[Fact]) -> list[Fact]:
    """Drop the denial of a functional fact when the same message gives its new value ("I
    left Acme and now work at Globex"): the new value UPDATEs the memory, one event."""
    replaced = {
        (name_key(f.subject), f.rel.name)
        for f in facts
        if not f.negated and f.rel.cardinality == "one"
    }
    return [f for f in facts if not (f.negated and (name_key(f.subject), f.rel.name) in replaced)]


def related_types(ontology: Ontology, rel: RelationType) -> tuple[list[str], list[str]]:
    """Relationship types to look up leaving and entering the subject: the relation itself,
    its symmetric/inverse views, and what it contradicts (with theirs).

    >>> from graphmem.ontology import load_ontology
    >>> onto = load_ontology()
    >>> related_types(onto, onto.relation("PARENT_OF"))
    (['PARENT_OF'], ['CHILD_OF'])
    """
    out, into = [], []
    for name in [rel.name, *rel.contradicts]:
        r = rel if name == rel.name else ontology.relation(name)
        out.append(r.name)
        if r.symmetric:
            into.append(r.name)
        if r.inverse:
            into.append(r.inverse)
    return out, into


def apply_fact(
    ctx: Context,
    scope: Scope,
    fact: Fact,
    episode_ids: list[str],
    said_at: str | None,
    now: str,
    hints: dict[str, str],
) -> TxSteps[dict[str, Any] | None]:
    """Reconcile one fact with the current ones and write the outcome; its event, or None
    when a negation finds nothing to retract. A fact without its own valid_from starts when
    it was said (`said_at`, the message's timestamp), or is open-ended when that is unknown.
    `hints` are the entities `resolve.resolve_steps` found for names that are not exact."""
    s_vec, o_vec, _ = fact.vectors
    create = not fact.negated  # a denial never creates entities
    s_hint, o_hint = hints.get(name_key(fact.subject)), hints.get(name_key(fact.object))
    s_id = yield from entity_id(
        scope, fact.subject, fact.s_label, s_vec, now, create=create, hint=s_hint
    )
    o_id = yield from entity_id(
        scope, fact.object, fact.o_label, o_vec, now, create=create, hint=o_hint
    )
    if s_id is None or o_id is None:
        return None
    start = fact.start or said_at
    changed_at = start or now
    related = yield from current_around(ctx, scope, fact.rel, s_id, now)
    decision = decide(
        fact.rel, o_id, related, start=start, negated=fact.negated, replaces=fact.replaces
    )
    ended_by = None
    if fact.rel.symmetric and fact.rel.cardinality == "one":
        decision, ended_by = yield from _other_end(
            ctx, scope, fact.rel, s_id, o_id, start, now, decision
        )
    old = decision.existing
    if decision.event == "NONE":
        if old is None:
            return None
        return {**_public(old), "event": "NONE", "reason": decision.reason}
    if decision.event == "NOOP":
        assert old is not None
        yield from run(
            "fact_add_provenance",
            subject_id=old["source_id"],
            id=old["version_id"],
            episode_ids=episode_ids,
            start=start,
        )
        return {**_public(old), "event": "NOOP"}
    deleting = decision.event == "DELETE"
    for closing in decision.close:  # a denial says when it ended; a change, when it changed
        ended_at = (fact.end or changed_at) if deleting else changed_at
        yield from close_version(closing, "deleted" if deleting else "superseded", ended_at, now)
    if deleting:
        assert old is not None
        return {
            **_public(old),
            "event": "DELETE",
            "status": "deleted",
            "expired_at": now,
            "previous_memory": old["memory"],
        }
    if decision.historical:
        assert old is not None
        assert start is not None  # decide() places only dated facts in the past
        event = yield from _place_late(scope, fact, s_id, o_id, old, start, episode_ids, now)
        return event
    memory_id: str | None = None  # a new memory: create_version mints its id
    version, created = 1, now
    if old is not None:
        memory_id, version, created = old["id"], old["version"] + 1, old["created_at"] or now
    ended = ended_by is not None or (fact.end is not None and fact.end <= (said_at or now))
    event = yield from create_version(
        scope,
        fact,
        s_id,
        o_id,
        memory_id=memory_id,
        version=version,
        valid_from=start,
        valid_to=min(e for e in (ended_by, fact.end) if e) if ended_by else None,
        now=now,
        created_at=created,
        episode_ids=episode_ids,
        status="superseded" if ended else "current",
        expired_at=now if ended else None,
    )
    event["event"] = decision.event
    if old is not None:
        event["previous_memory"] = old["memory"]
    return event


def _other_end(
    ctx: Context,
    scope: Scope,
    rel: RelationType,
    s_id: str,
    o_id: str,
    start: str | None,
    now: str,
    decision: Decision,
) -> TxSteps[tuple[Decision, str | None]]:
    """A symmetric functional relation (MARRIED_TO) has one current value at EACH end: a new
    fact also supersedes the object's current value with someone else ("Kim married Sam"
    while Sam is married to Alex). When the new fact began before that value did, it is
    stored as past instead, ended when the object's current value began (the second item)."""
    if decision.event not in ("ADD", "UPDATE") or decision.historical:
        return decision, None
    around = yield from current_around(ctx, scope, rel, o_id, now)
    rivals = [f for f in around if f["kind"] == "same" and f["other_id"] != s_id]
    later = [
        f["valid_from"] for f in rivals if start and f["valid_from"] and start < f["valid_from"]
    ]
    if later:
        return decision, min(later)
    if not rivals:
        return decision, None
    if decision.event == "ADD":
        newest = max(rivals, key=lambda f: f["valid_from"] or "")
        return _unless_immutable(Decision("UPDATE", existing=newest, close=rivals)), None
    return _unless_immutable(replace(decision, close=[*decision.close, *rivals])), None


def _place_late(
    scope: Scope,
    fact: Fact,
    s_id: str,
    o_id: str,
    current: dict[str, Any],
    start: str,
    episode_ids: list[str],
    now: str,
) -> TxSteps[dict[str, Any]]:
    """Place a late fact in the chain of `current`'s memory by valid time (see
    graphmem/timeline.py) and renumber the chain. Its event is an ADD of a closed version,
    or a NOOP when a version with the same value covers its time; NONE when that would
    change an immutable version."""
    rows = yield from run("fact_chain", entity_id=current["source_id"], memory_id=current["id"])
    stored = {v["version_id"]: v for v in map(records.fact, rows)}
    spans = {key: _span(v) for key, v in stored.items()}
    ghosts = _out_of_time(list(stored.values()))
    live, placed = timeline.insert(
        [s for key, s in spans.items() if key not in ghosts], o_id, start
    )
    changed = {s.copy_of for s in live if s.copy_of} | {
        s.key for s in live if s.key and (s.start, s.end, s.current) != _when(spans[s.key])
    }
    if any(stored[key]["immutable"] for key in changed if key):
        return {**_public(current), "event": "NONE", "reason": "immutable"}
    # number by valid time; versions outside it stay before the version that followed them
    before: dict[str, list[timeline.Span]] = {}
    waiting: list[timeline.Span] = []
    for v in sorted(stored.values(), key=lambda v: v["version"]):
        if v["version_id"] in ghosts:
            waiting.append(spans[v["version_id"]])
        else:
            before[v["version_id"]], waiting = waiting, []
    ordered = [g for s in live for g in [*before.get(s.key or "", []), s]] + waiting
    event: dict[str, Any] | None = None
    for number, span in enumerate(ordered, 1):
        if span.key is not None:
            yield from _retime(stored[span.key], number, span, now)
        elif span.copy_of is not None:
            old = stored[span.copy_of]
            yield from run(
                "fact_split",
                rel_type=old["relationship"],
                subject_id=old["source_id"],
                id=old["version_id"],
                new_id=str(uuid.uuid4()),
                version=number,
                valid_from=span.start,
                valid_to=span.end,
                asserted_from=span.starts,
                now=now,
            )
        else:  # the late fact's own version; an end it was told with comes first
            ends = [e for e in (span.end, fact.end) if e]
            event = yield from create_version(
                scope,
                fact,
                s_id,
                o_id,
                memory_id=current["id"],
                version=number,
                valid_from=span.start,
                valid_to=min(ends) if ends else None,
                now=now,
                created_at=current["created_at"] or now,
                episode_ids=episode_ids,
                status="current" if span.current else "superseded",
                expired_at=None if span.current else now,
            )
            event = {**event, "event": "ADD", "previous_memory": None}
    if event is not None:
        return event
    assert placed.key is not None  # the fact's time is covered by a version of its value
    same = stored[placed.key]
    yield from run(
        "fact_add_provenance",
        subject_id=same["source_id"],
        id=same["version_id"],
        episode_ids=episode_ids,
        start=None,
    )
    return {
        **_public(same),
        "valid_from": placed.start,
        "asserted_from": placed.starts,
        "event": "NOOP",
    }


def _span(version: dict[str, Any]) -> timeline.Span:
    return timeline.Span(
        version["target_id"],
        version["valid_from"],
        version["valid_to"],
        version["asserted_from"],
        current=version["status"] == "current",
        key=version["version_id"],
    )


def _when(span: timeline.Span) -> tuple[str | None, str | None, bool]:
    return span.start, span.end, span.current


def _out_of_time(chain: list[dict[str, Any]]) -> set[str]:
    """Versions that are not part of the memory's timeline: retracted ones, and ones a later
    version restored (forget_episode reopens a superseded version as a copy: same value,
    same start)."""
    latest: dict[tuple[str, str | None], dict[str, Any]] = {}
    for v in sorted(chain, key=lambda v: v["version"]):
        if v["status"] != "retracted":
            latest[(v["target_id"], v["valid_from"])] = v
    kept = {v["version_id"] for v in latest.values()}
    return {v["version_id"] for v in chain if v["version_id"] not in kept}


def _retime(old: dict[str, Any], number: int, span: timeline.Span, now: str) -> TxSteps[None]:
    """Write a stored version's new place in the chain, if anything about it changed."""
    closing = old["status"] == "current" and not span.current
    if (number, *_when(span), sorted(span.starts)) == (
        old["version"],
        *_when(_span(old)),
        sorted(old["asserted_from"]),
    ):
        return
    yield from run(
        "fact_retime",
        subject_id=old["source_id"],
        id=old["version_id"],
        version=number,
        valid_from=span.start,
        valid_to=span.end,
        asserted_from=span.starts,
        status="superseded" if closing else old["status"],
        expired_at=now if closing else old["expired_at"],
    )


def current_around(
    ctx: Context,
    scope: Scope,
    rel: RelationType,
    subject_id: str,
    now: str,
    *,
    entering: bool = False,
) -> TxSteps[list[dict[str, Any]]]:
    """The subject's current facts `decide` looks at, newest first; expired ones are closed
    on the way (they are no longer current in reads either). `entering`: instead, the current
    facts of `rel` itself that enter `subject_id` (a merge's kept entity as the object)."""
    out, into = ([], [rel.name]) if entering else related_types(ctx.ontology, rel)
    rows = yield from run(
        "fact_current", entity_id=subject_id, out_types=out, in_types=into, **scope.narrow()
    )
    same_names = {rel.name, *([rel.inverse] if rel.inverse else [])}
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        f = records.fact(row)
        if f["version_id"] in found:
            continue
        if f["expiration_date"] and f["expiration_date"] <= now:
            yield from close_version(f, "expired", f["expiration_date"], now)
            continue
        leaving = f["source_id"] == subject_id
        f["other_id"] = f["target_id"] if leaving else f["source_id"]
        f["kind"] = "same" if f["relationship"] in same_names else "contradicts"
        found[f["version_id"]] = f
    return sorted(found.values(), key=lambda f: f["recorded_at"] or "", reverse=True)


def _public(fact: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fact.items() if k not in ("kind", "other_id")}

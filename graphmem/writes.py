"""The write operations of `Memory` / `AsyncMemory`, written once as effect generators.

Facts are versioned typed relationships: a change never deletes one, it closes the current
version and opens the next with the same `memory_id`. Only `delete_all` and `reset` erase,
and only graphmem's data in the caller's scope.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from .categories import chosen, taxonomy
from .checks import BATCH_MAX
from .context import Context
from .documents.parts import read_messages
from .effects import Steps, TxSteps, compute, read, run, write
from .errors import LLMUnavailableError, NotFoundError, ValidationError
from .extraction import Extraction
from .facts import Fact, close_version, create_version, prepare
from .feedback import Rejected, clear_marks, rejected
from .messages import Message, metadata_json, normalize_messages
from .reads import current_version, get_all
from .reconcile import apply_fact, fold_changes
from .resolve import entity_id, known_names, name_key, resolve_steps
from .scope import Scope
from .times import now_iso, to_iso
from .webhooks.outbox import notify, notify_all

_ERASE_BATCH = 1000
_MAX_ERROR = 2000  # characters of an extraction error kept on a waiting episode
_UPDATE_KEYS = frozenset({"subject", "relation", "object", "valid_from", "valid_to", "fact"})
_BATCH_UPDATE_KEYS = frozenset({"memory_id", "data", "metadata"})


def add(
    ctx: Context,
    messages: Any,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    infer: bool = True,
    timestamp: Any = None,
    custom_categories: dict[str, str] | None = None,
) -> Steps[dict[str, Any]]:
    """Store messages as episodes and, with `infer=True` (the default), the facts the
    extractor finds in them, all in one transaction. Returns the fact events (ADD, UPDATE,
    DELETE, NOOP) in `results`, or the stored episodes when `infer=False`.
    `custom_categories` ({name: description}) replaces the category taxonomy for this call's
    facts (`graphmem.categories`).

    When the LLM extractor cannot be reached through its retries (`LLMUnavailableError`),
    the messages are still stored, marked as waiting for extraction, and the result has
    no events but their ids in `waiting` and the reason in `extraction_error`;
    `reprocess` (graphmem/reprocess.py) extracts them later."""
    scope = Scope.of(user_id, agent_id, run_id)
    meta = metadata_json(metadata)
    msgs = yield from read_messages(ctx, messages)
    now = now_iso()
    said_at = to_iso(timestamp, "timestamp")
    occurred = said_at or now
    speaker = speaker_of(scope, msgs)
    own = None if custom_categories is None else taxonomy(custom_categories)
    facts: list[Fact] = []
    waiting: str | None = None
    if infer:
        try:
            facts = yield from extract_facts(
                ctx, scope, msgs, speaker, occurred, meta, categories=own
            )
        except LLMUnavailableError as exc:  # store the messages; reprocess extracts them
            waiting = str(exc)
    vectors, hints = yield from embed_and_resolve(ctx, scope, facts, [m.content for m in msgs])
    ids = [str(uuid.uuid4()) for _ in msgs]

    rows = [
        episode_row(scope, episode_id, msg, occurred, now, meta, vector)
        for episode_id, msg, vector in zip(ids, msgs, vectors, strict=True)
    ]

    def work() -> TxSteps[list[dict[str, Any]]]:
        yield from run("episode_create_many", episodes=rows)
        if waiting is not None:
            yield from mark_waiting([(scope, ids)], waiting, now)
        events = yield from apply_facts(
            ctx, scope, facts, ids, said_at, now, hints, sources=document_sources(facts, msgs, ids)
        )
        yield from link_episodes([(ids, mentioned_ids(events))])
        yield from notify(scope, events, now)
        return events

    events = yield from write(work)
    return add_result(msgs, ids, now, metadata, events, infer=infer, waiting=waiting)


def add_relation(
    ctx: Context,
    subject: str,
    relation: str,
    object: str,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
    valid_from: Any = None,
    valid_to: Any = None,
    metadata: dict[str, Any] | None = None,
    source: str | None = None,
    subject_type: str | None = None,
    object_type: str | None = None,
    confidence: float | None = None,
    expiration_date: Any = None,
    immutable: bool = False,
) -> Steps[dict[str, Any]]:
    """Write one fact you extracted yourself; returns its ADD, UPDATE or NOOP event.

    `source` is provenance: the id of an episode in this scope, or free text (stored as a
    new episode). Everything is validated before anything is written. Stating a fact
    clears the owner's wrong marks on its relation and object (`graphmem.feedback`).
    """
    scope = Scope.of(user_id, agent_id, run_id)
    fact = prepare(
        ctx.ontology,
        subject,
        relation,
        object,
        subject_type=subject_type,
        object_type=object_type,
        valid_from=valid_from,
        valid_to=valid_to,
        metadata=metadata_json(metadata),
        confidence=confidence,
        expiration_date=expiration_date,
        immutable=immutable,
        taxonomy=ctx.taxonomy,
    )
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise ValidationError("source must be a non-empty string (an episode id or text)")
    source_vecs, hints = yield from embed_and_resolve(
        ctx, scope, [fact], [source] if source else []
    )
    source_vec = source_vecs[0] if source_vecs else None
    now = now_iso()

    def work() -> TxSteps[dict[str, Any] | None]:
        episode_ids = yield from _source_episode(scope, source, source_vec, now)
        event = yield from apply_fact(ctx, scope, fact, episode_ids, None, now, hints)
        yield from clear_marks(scope, fact.rel.name, fact.object, now)
        if event and episode_ids:
            yield from run(
                "episode_link",
                episode_id=episode_ids[0],
                entity_ids=[event["source_id"], event["target_id"]],
            )
        yield from notify(scope, [event] if event else [], now)
        return event

    event = yield from write(work)
    return {"results": [event]}


def update(
    ctx: Context,
    memory_id: str,
    data: str | dict[str, Any],
    metadata: dict[str, Any] | None = None,
) -> Steps[dict[str, Any]]:
    """Create the next version of a fact. `data` is the new object (a string) or a dict of
    any of subject, relation, object, valid_from, valid_to, fact."""
    events = yield from _update_all(ctx, [(memory_id, data, metadata)])
    return {"message": "Memory updated", "results": events}


def batch_update(ctx: Context, items: Any) -> Steps[dict[str, Any]]:
    """Update up to `BATCH_MAX` memories in ONE write transaction, all or nothing. Each item
    is ``{"memory_id": ..., "data": ..., "metadata": ...}`` (metadata optional), `data` as
    for `update`. A bad item (malformed, unknown or closed memory, a memory twice) raises
    before anything is written, naming its index and id. One event per item, in order."""
    checked = _batch(items, "items")
    for i, item in enumerate(checked):
        if not isinstance(item, dict) or "data" not in item or set(item) - _BATCH_UPDATE_KEYS:
            raise ValidationError(
                f"item {i}: must be a dict of memory_id, data and optionally metadata"
            )
    _distinct([item.get("memory_id") for item in checked])
    events = yield from _update_all(
        ctx, [(item["memory_id"], item["data"], item.get("metadata")) for item in checked]
    )
    return {"message": f"{len(events)} memories updated", "results": events}


def _update_all(
    ctx: Context, items: list[tuple[Any, Any, dict[str, Any] | None]]
) -> Steps[list[dict[str, Any]]]:
    """The next version of each (memory_id, data, metadata), in one write transaction."""
    planned: list[tuple[dict[str, Any], Fact, Scope]] = []
    for i, (memory_id, data, metadata) in enumerate(items):
        with _naming(i, memory_id, len(items)):
            current = yield from current_version(memory_id)
            fact = _updated_fact(ctx, current, data, metadata)
        planned.append((current, fact, Scope.of_record(current)))
    hints: dict[Scope, dict[str, str]] = {}
    for scope in dict.fromkeys(scope for _, _, scope in planned):
        facts = [fact for _, fact, s in planned if s == scope]
        _, hints[scope] = yield from embed_and_resolve(ctx, scope, facts, [])
    now = now_iso()

    def work() -> TxSteps[list[dict[str, Any]]]:
        events = []
        for current, fact, scope in planned:
            event = yield from _next_version(scope, current, fact, hints[scope], now)
            events.append(event)
        yield from notify_all(
            [(scope, [event], now) for (_, _, scope), event in zip(planned, events, strict=True)]
        )
        return events

    return (yield from write(work))


def _updated_fact(
    ctx: Context, current: dict[str, Any], data: Any, metadata: dict[str, Any] | None
) -> Fact:
    """The fact an update of `current` with `data` (and `metadata`) states."""
    if isinstance(data, str):
        data = {"object": data}
    if not isinstance(data, dict) or not data or set(data) - _UPDATE_KEYS:
        raise ValidationError(
            f"data must be the new object name or a dict of {sorted(_UPDATE_KEYS)}"
        )
    fact = prepare(
        ctx.ontology,
        data.get("subject", current["source"]),
        data.get("relation", current["relationship"]),
        data.get("object", current["target"]),
        subject_type=current["source_type"],
        object_type=current["target_type"],
        valid_from=data.get("valid_from"),
        valid_to=data.get("valid_to"),
        metadata=metadata_json(metadata if metadata is not None else current["metadata"]),
        confidence=current["confidence"],
        expiration_date=current["expiration_date"],
        immutable=current["immutable"],
        taxonomy=ctx.taxonomy,
    )
    if fact.rel.name == current["relationship"] and current["categories"]:
        fact.categories = tuple(current["categories"])  # an update keeps them
    if "fact" in data:
        if not isinstance(data["fact"], str) or not data["fact"].strip():
            raise ValidationError("fact must be a non-empty string")
        fact.text = data["fact"].strip()
    return fact


def _next_version(
    scope: Scope, current: dict[str, Any], fact: Fact, hints: dict[str, str], now: str
) -> TxSteps[dict[str, Any]]:
    """Close `current` and write `fact` as the memory's next version: its UPDATE event."""
    s_vec, o_vec, _ = fact.vectors
    yield from close_version(current, "superseded", fact.start or now, now)
    s_hint, o_hint = hints.get(name_key(fact.subject)), hints.get(name_key(fact.object))
    s_id = yield from entity_id(scope, fact.subject, fact.s_label, s_vec, now, hint=s_hint)
    o_id = yield from entity_id(scope, fact.object, fact.o_label, o_vec, now, hint=o_hint)
    assert s_id is not None and o_id is not None
    event = yield from create_version(
        scope,
        fact,
        s_id,
        o_id,
        memory_id=current["id"],
        version=current["version"] + 1,
        valid_from=fact.start or now,
        now=now,
        created_at=current["created_at"] or now,
        episode_ids=[],
    )
    return {**event, "event": "UPDATE", "previous_memory": current["memory"]}


def delete(ctx: Context, memory_id: str) -> Steps[dict[str, Any]]:
    """Close the current version as deleted; the history keeps every version."""
    deleted = yield from _close_all(ctx, [memory_id])
    return {"message": "Memory deleted", "results": deleted}


def batch_delete(ctx: Context, memory_ids: Any) -> Steps[dict[str, Any]]:
    """Delete up to `BATCH_MAX` memories (their current versions closed as deleted) in ONE
    write transaction, all or nothing: an unknown or closed memory, or one named twice,
    raises before anything is written, naming its index and id. One event per id, in order."""
    checked = _batch(memory_ids, "memory_ids")
    _distinct(checked)
    deleted = yield from _close_all(ctx, checked)
    return {"message": f"{len(deleted)} memories deleted", "results": deleted}


def _close_all(ctx: Context, memory_ids: list[Any]) -> Steps[list[dict[str, Any]]]:
    currents = []
    for i, memory_id in enumerate(memory_ids):
        with _naming(i, memory_id, len(memory_ids)):
            currents.append((yield from current_version(memory_id)))
    now = now_iso()

    deleted = [{**c, "status": "deleted", "event": "DELETE", "expired_at": now} for c in currents]

    def work() -> TxSteps[None]:
        for current in currents:
            yield from close_version(current, "deleted", now, now)
        yield from notify_all([(Scope.of_record(d), [d], now) for d in deleted])

    yield from write(work)
    return deleted


def _batch(values: Any, what: str) -> list[Any]:
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError(f"{what} must be a non-empty list")
    if len(values) > BATCH_MAX:
        raise ValidationError(f"{what}: at most {BATCH_MAX} per call, got {len(values)}")
    return list(values)


def _distinct(memory_ids: list[Any]) -> None:
    """Every id a non-empty string, none twice."""
    seen: set[str] = set()
    for i, memory_id in enumerate(memory_ids):
        if not isinstance(memory_id, str) or not memory_id:
            raise ValidationError(f"item {i}: memory_id must be a non-empty string")
        if memory_id in seen:
            raise ValidationError(f"item {i}: memory {memory_id!r} is named twice")
        seen.add(memory_id)


@contextmanager
def _naming(index: int, memory_id: Any, count: int) -> Iterator[None]:
    """Errors about the item at `index` of a batch name it (a single call's stay as they are)."""
    try:
        yield
    except (ValidationError, NotFoundError) as exc:
        if count == 1:
            raise
        raise type(exc)(f"item {index} ({memory_id!r}): {exc}") from exc


def delete_all(
    ctx: Context,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
) -> Steps[dict[str, Any]]:
    """Erase a scope's facts (all versions), episodes, orphaned entities and feedback
    records. Nothing else (its webhooks stay). When a webhook of the owner takes
    `memory_delete`, each current memory's delete event is queued first (so a receiver is
    told of every memory erased, at least once)."""
    scope = Scope.of(user_id, agent_id, run_id)
    takers = yield from read("webhook_takes", owner=scope.owner, event="memory_delete")
    if takers and takers[0]["count"]:
        yield from _announce_erase(ctx, scope)
    counts = {
        "facts": (yield from _erase("scope_erase_facts", **scope.narrow())),
        "episodes": (yield from _erase("scope_erase_episodes", **scope.narrow())),
        "entities": (yield from _erase("scope_erase_orphans", owner=scope.owner)),
        "feedback": (yield from _erase("scope_erase_feedback", **scope.narrow())),
    }
    return {"message": f"Erased {scope.owner}'s memories", "deleted": counts}


def _announce_erase(ctx: Context, scope: Scope) -> Steps[None]:
    """Queue a DELETE event for each current memory of the scope (a page per transaction)."""
    page = 1
    while True:
        found = yield from get_all(ctx, **scope.ids(), page=page, page_size=_ERASE_BATCH)
        now = now_iso()
        deleted = [{**f, "event": "DELETE", "status": "deleted", "expired_at": now}
                   for f in found["results"]]  # fmt: skip
        groups = [(Scope.of_record(d), [d], now) for d in deleted]
        yield from write(partial(notify_all, groups))
        if len(deleted) < _ERASE_BATCH:
            return
        page += 1


def reset(ctx: Context) -> Steps[dict[str, Any]]:
    """Erase every graphmem entity, episode (with their facts), feedback record, webhook and
    queued webhook delivery. Foreign nodes stay."""
    counts = {
        "entities": (yield from _erase("reset_label", label="Entity")),
        "episodes": (yield from _erase("reset_label", label="Episode")),
        "feedback": (yield from _erase("reset_label", label="Feedback")),
        "webhooks": (yield from _erase("reset_label", label="Webhook")),
        "deliveries": (yield from _erase("reset_label", label="WebhookDelivery")),
    }
    return {"message": "graphmem data erased", "deleted": counts}


# -- shared with add_many (graphmem/batch.py) ------------------------------------------------


def speaker_of(scope: Scope, msgs: list[Message]) -> str:
    """Who "I" is in an `add` call: the first message's name, else the scope's user or agent."""
    return next((m.name for m in msgs if m.name), None) or (
        scope.user_id or scope.agent_id or "User"
    )


def extracted_facts(
    ctx: Context,
    extraction: Extraction,
    meta: str | None,
    rejected: list[Rejected],
    categories: dict[str, str] | None = None,
) -> list[Fact]:
    """The candidate facts of one `add` call's extraction, validated, changes folded, less
    those stating a (relation, object) the owner marked wrong (`graphmem.feedback`); each
    with its categories in the call's taxonomy (`categories`, else the default one)."""
    wrong = {(r.relationship, r.object_key) for r in rejected}
    own = ctx.taxonomy if categories is None else categories
    facts = fold_changes(
        [
            prepare(
                ctx.ontology,
                r.subject,
                r.relation,
                r.object,
                subject_type=r.subject_type,
                object_type=r.object_type,
                valid_from=r.valid_from,
                valid_to=r.valid_to,
                metadata=meta,
                confidence=r.confidence,
                negated=r.negated or r.event == "DELETE",
                replaces=r.memory_id,
                categories=chosen(r.categories, own),
                taxonomy=own,
                evidence=r.evidence,
            )
            for r in extraction.relations
            if r.event != "NONE"
        ]
    )
    return [f for f in facts if f.negated or (f.rel.name, name_key(f.object)) not in wrong]


def extract_facts(
    ctx: Context,
    scope: Scope,
    msgs: list[Message],
    speaker: str,
    occurred_at: str,
    meta: str | None,
    *,
    as_of: str | None = None,
    categories: dict[str, str] | None = None,
) -> Steps[list[Fact]]:
    """The candidate facts of one `add` call's messages: the LLM extractor is shown the
    scope's facts about what they mention (those true at `as_of`, else the current ones),
    what the owner marked wrong (`graphmem.feedback`), which no extractor's facts keep, and
    the call's own category taxonomy, if it has one."""
    existing = None
    if ctx.config.extractor == "llm":
        current = yield from current_facts(ctx, scope, as_of=as_of)
        existing = facts_about(current, msgs, speaker)
    wrong = yield from rejected(scope)
    extraction = yield from compute(
        ctx.extract, msgs, speaker, occurred_at, existing, wrong, categories
    )
    return extracted_facts(ctx, extraction, meta, wrong, categories)


def current_facts(
    ctx: Context, scope: Scope, *, as_of: str | None = None
) -> Steps[list[dict[str, Any]]]:
    """The scope's facts that the LLM extractor may be shown (the first 1000): the current
    ones, or those true at `as_of`."""
    page = yield from get_all(ctx, **scope.ids(), page_size=1000, as_of=as_of)
    return list(page["results"])


def apply_facts(
    ctx: Context,
    scope: Scope,
    facts: list[Fact],
    episode_ids: list[str],
    said_at: str | None,
    now: str,
    hints: dict[str, str],
    sources: list[list[str]] | None = None,
) -> TxSteps[list[dict[str, Any]]]:
    """Reconcile and write one `add` call's facts in order (`reconcile.apply_fact`); their
    events (a negation that finds nothing to retract has none). Each fact cites the call's
    `episode_ids`, or its own list of `sources` when given (one per fact)."""
    events = []
    for i, fact in enumerate(facts):
        cited = episode_ids if sources is None else sources[i]
        event = yield from apply_fact(ctx, scope, fact, cited, said_at, now, hints)
        if event:
            events.append(event)
    return events


def document_sources(
    facts: list[Fact], msgs: list[Message], ids: list[str]
) -> list[list[str]] | None:
    """For a call with document pieces (graphmem.documents): each fact cites the episodes
    whose text holds the sentence it was read from (all the call's when none does, or the
    extractor gave none), so that `forget_document` retracts what the document taught and
    no more. None (every fact cites every episode) for a call of messages only."""
    if not any(m.document_id for m in msgs):
        return None
    return [
        [i for i, m in zip(ids, msgs, strict=True) if f.evidence and f.evidence in m.content] or ids
        for f in facts
    ]


def embed_and_resolve(
    ctx: Context, scope: Scope, facts: list[Fact], extra: list[str]
) -> Steps[tuple[list[list[float]], dict[str, str]]]:
    """Embed in ONE model call the `extra` texts (messages, a source), every fact's sentence
    and the names that are not yet exact names of the owner's entities (known ones need no
    vector); set the facts' vectors; resolve the unknown names. Returns the extra texts'
    vectors and the resolution hints for the write."""
    names = {n for f in facts for n in (f.subject, f.object)}
    known = yield from known_names(scope, sorted(names))
    new_names = sorted(n for n in names if name_key(n) not in known)
    texts = [*extra, *(f.text for f in facts), *new_names]
    vectors: list[list[float]] = yield from compute(ctx.embed, texts)
    by_name = dict(zip(new_names, vectors[len(extra) + len(facts) :], strict=True))
    set_vectors(facts, by_name, vectors[len(extra) : len(extra) + len(facts)])
    hints = yield from resolve_steps(ctx, scope, unknown_names(facts, by_name))
    return vectors[: len(extra)], hints


def mark_waiting(calls: list[tuple[Scope, list[str]]], error: str, now: str) -> TxSteps[None]:
    """Mark each call's episodes (the episode ids of one `add` call, in message order) as
    waiting for extraction, with the error that stopped it; `reprocess` finds them so."""
    rows = [
        {"id": episode_id, "owner": scope.owner, "call": ids[0], "part": part}
        for scope, ids in calls
        for part, episode_id in enumerate(ids)
    ]
    yield from run("episode_wait", episodes=rows, error=error[:_MAX_ERROR], now=now)


def facts_about(
    facts: list[dict[str, Any]], msgs: list[Message], speaker: str
) -> list[dict[str, Any]]:
    """Those of `facts` about the speaker and the entities the messages name (for the LLM).

    >>> fact = {"source": "Ida", "target": "Acme"}
    >>> msg = Message(role="user", content="Acme is hiring")
    >>> facts_about([fact], [msg], "Bo") == [fact], facts_about([fact], [], "Bo")
    (True, [])
    """
    words = f" {name_key(' '.join([speaker, *(m.content for m in msgs)]))} "
    return [
        f
        for f in facts
        if f" {name_key(f['source'])} " in words or f" {name_key(f['target'])} " in words
    ][:200]


def set_vectors(
    facts: list[Fact], by_name: dict[str, list[float]], text_vectors: list[list[float]]
) -> None:
    """Give each fact its sentence's vector and its names' vectors (those in `by_name`, the
    names not yet known exactly; a known name needs none)."""
    for fact, text_vec in zip(facts, text_vectors, strict=True):
        fact.vectors = (by_name.get(fact.subject, []), by_name.get(fact.object, []), text_vec)


def unknown_names(
    facts: list[Fact], by_name: dict[str, list[float]]
) -> list[tuple[str, str, list[float]]]:
    """The (name, label, vector) of every fact's name that resolution has to look up."""
    return [
        (name, label, by_name[name])
        for f in facts
        for name, label in ((f.subject, f.s_label), (f.object, f.o_label))
        if name in by_name
    ]


def episode_row(
    scope: Scope,
    episode_id: str,
    msg: Message,
    occurred_at: str,
    now: str,
    metadata: str | None,
    vector: list[float] | None,
) -> dict[str, Any]:
    """The parameters of `episode_create` (one row of `episode_create_many`): the call's
    `metadata` (JSON text) with the message's own (a document piece's place) merged in."""
    if msg.metadata:
        metadata = metadata_json({**(json.loads(metadata) if metadata else {}), **msg.metadata})
    return {
        "id": episode_id,
        "role": msg.role,
        "name": msg.name,
        "content": msg.content,
        "content_hash": msg.content_hash(),
        "occurred_at": occurred_at,
        "now": now,
        "metadata": metadata,
        "document_id": msg.document_id,
        "embedding": vector,
        **scope.params(),
    }


def add_result(
    msgs: list[Message],
    ids: list[str],
    now: str,
    metadata: dict[str, Any] | None,
    events: list[dict[str, Any]],
    *,
    infer: bool,
    waiting: str | None = None,
) -> dict[str, Any]:
    """What `add` returns: the fact events, their relations and the stored episodes (only
    the episodes when `infer` is False). When extraction is `waiting` (its error), the
    episodes say so, and `waiting` lists their ids."""
    episodes = [
        {
            "id": episode_id,
            "memory": msg.content,
            "event": "ADD",
            "type": "episode",
            "role": msg.role,
            "created_at": now,
            "metadata": {**(metadata or {}), **msg.metadata} if msg.metadata else metadata,
            **({"document_id": msg.document_id} if msg.document_id else {}),
        }
        for episode_id, msg in zip(ids, msgs, strict=True)
    ]
    documents = {
        msg.document_id: (msg.metadata or {})["document"] for msg in msgs if msg.document_id
    }
    shown = {"documents": [_without_place(d) for d in documents.values()]} if documents else {}
    if not infer:
        return {"results": episodes, **shown}
    if waiting is not None:
        for episode in episodes:
            episode["extraction"] = "waiting"
        return {
            "results": [],
            "relations": [],
            "episodes": episodes,
            "waiting": ids,
            "extraction_error": waiting,
            **shown,
        }
    relations = [
        {"source": e["source"], "relationship": e["relationship"], "target": e["target"]}
        for e in events
    ]
    return {"results": events, "relations": relations, "episodes": episodes, **shown}


def _without_place(document: dict[str, Any]) -> dict[str, Any]:
    """A document as `add` lists it: id, type, url and its number of parts."""
    return {key: document.get(key) for key in ("id", "type", "url", "parts")}


def link_episodes(groups: list[tuple[list[str], list[str]]]) -> TxSteps[None]:
    """MENTIONS links from each group's episodes to its entities, in one statement (none
    when nothing is mentioned)."""
    links = [
        {"episode_id": episode_id, "entity_ids": entity_ids}
        for episode_ids, entity_ids in groups
        if entity_ids
        for episode_id in episode_ids
    ]
    if links:
        yield from run("episode_link_many", links=links)


def mentioned_ids(events: list[dict[str, Any]]) -> list[str]:
    """The entities the events of one `add` call touch (what its episodes MENTION)."""
    return sorted({e[k] for e in events for k in ("source_id", "target_id")})


# -- internals ---------------------------------------------------------------------------------


def _source_episode(
    scope: Scope, source: str | None, vector: list[float] | None, now: str
) -> TxSteps[list[str]]:
    """The episode a structured fact cites: an existing one by id, or one made of the text."""
    if source is None:
        return []
    found = yield from run("episode_find", id=source, owner=scope.owner)
    if found:
        return [source]
    episode_id = str(uuid.uuid4())
    msg = normalize_messages({"role": "source", "content": source})[0]
    yield from run("episode_create", **episode_row(scope, episode_id, msg, now, now, None, vector))
    return [episode_id]


def _erase(query_name: str, *, label: str | None = None, **params: Any) -> Steps[int]:
    total = 0
    while True:
        rows = yield from write(lambda: run(query_name, label=label, batch=_ERASE_BATCH, **params))
        deleted = int(rows[0]["deleted"]) if rows else 0
        total += deleted
        if deleted < _ERASE_BATCH:
            return total

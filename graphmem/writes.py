"""The write operations of `Memory` / `AsyncMemory`, written once as effect generators.

Facts are versioned typed relationships: a change never deletes one, it closes the current
version and opens the next with the same `memory_id`. Only `delete_all` and `reset` erase,
and only graphmem's data in the caller's scope.
"""

from __future__ import annotations

import uuid
from typing import Any

from .context import Context
from .effects import Steps, TxSteps, compute, run, write
from .errors import ValidationError
from .facts import Fact, close_version, create_version, prepare
from .messages import Message, metadata_json, normalize_messages
from .reads import current_version, get_all
from .reconcile import apply_fact, fold_changes
from .resolve import entity_id, known_names, name_key, resolve_steps
from .scope import Scope
from .times import now_iso, to_iso

_ERASE_BATCH = 1000
_UPDATE_KEYS = frozenset({"subject", "relation", "object", "valid_from", "valid_to", "fact"})


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
) -> Steps[dict[str, Any]]:
    """Store messages as episodes and, with `infer=True` (the default), the facts the
    extractor finds in them, all in one transaction. Returns the fact events (ADD, UPDATE,
    DELETE, NOOP) in `results`, or the stored episodes when `infer=False`."""
    scope = Scope.of(user_id, agent_id, run_id)
    msgs = normalize_messages(messages)
    meta = metadata_json(metadata)
    now = now_iso()
    said_at = to_iso(timestamp, "timestamp")
    occurred = said_at or now
    speaker = next((m.name for m in msgs if m.name), None) or (
        scope.user_id or scope.agent_id or "User"
    )
    facts: list[Fact] = []
    if infer:
        existing = None
        if ctx.config.extractor == "llm":
            existing = yield from _existing_facts(ctx, scope, msgs, speaker)
        extraction = yield from compute(ctx.extract, msgs, speaker, occurred, existing)
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
                )
                for r in extraction.relations
                if r.event != "NONE"
            ]
        )
    vectors, hints = yield from _embed_and_resolve(ctx, scope, facts, [m.content for m in msgs])
    ids = [str(uuid.uuid4()) for _ in msgs]

    def work() -> TxSteps[list[dict[str, Any]]]:
        for episode_id, msg, vector in zip(ids, msgs, vectors, strict=True):
            yield from _create_episode(scope, episode_id, msg, occurred, now, meta, vector)
        events = []
        for fact in facts:
            event = yield from apply_fact(ctx, scope, fact, ids, said_at, now, hints)
            if event:
                events.append(event)
        mentioned = sorted({e[k] for e in events for k in ("source_id", "target_id")})
        for episode_id in ids:
            yield from run("episode_link", episode_id=episode_id, entity_ids=mentioned)
        return events

    events = yield from write(work)
    episodes = [
        {
            "id": episode_id,
            "memory": msg.content,
            "event": "ADD",
            "type": "episode",
            "role": msg.role,
            "created_at": now,
            "metadata": metadata,
        }
        for episode_id, msg in zip(ids, msgs, strict=True)
    ]
    if not infer:
        return {"results": episodes}
    relations = [
        {"source": e["source"], "relationship": e["relationship"], "target": e["target"]}
        for e in events
    ]
    return {"results": events, "relations": relations, "episodes": episodes}


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
    new episode). Everything is validated before anything is written.
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
    )
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise ValidationError("source must be a non-empty string (an episode id or text)")
    source_vecs, hints = yield from _embed_and_resolve(
        ctx, scope, [fact], [source] if source else []
    )
    source_vec = source_vecs[0] if source_vecs else None
    now = now_iso()

    def work() -> TxSteps[dict[str, Any] | None]:
        episode_ids = yield from _source_episode(scope, source, source_vec, now)
        event = yield from apply_fact(ctx, scope, fact, episode_ids, None, now, hints)
        if event and episode_ids:
            yield from run(
                "episode_link",
                episode_id=episode_ids[0],
                entity_ids=[event["source_id"], event["target_id"]],
            )
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
    current = yield from current_version(memory_id)
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
    )
    if "fact" in data:
        if not isinstance(data["fact"], str) or not data["fact"].strip():
            raise ValidationError("fact must be a non-empty string")
        fact.text = data["fact"].strip()
    scope = Scope.of(current["user_id"], current["agent_id"], current["run_id"])
    _, hints = yield from _embed_and_resolve(ctx, scope, [fact], [])
    s_vec, o_vec, _ = fact.vectors
    now = now_iso()

    def work() -> TxSteps[dict[str, Any]]:
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
            memory_id=memory_id,
            version=current["version"] + 1,
            valid_from=fact.start or now,
            now=now,
            created_at=current["created_at"] or now,
            episode_ids=[],
        )
        return {**event, "event": "UPDATE", "previous_memory": current["memory"]}

    event = yield from write(work)
    return {"message": "Memory updated", "results": [event]}


def delete(ctx: Context, memory_id: str) -> Steps[dict[str, Any]]:
    """Close the current version as deleted; the history keeps every version."""
    current = yield from current_version(memory_id)
    now = now_iso()
    yield from write(lambda: close_version(current, "deleted", now, now))
    deleted = {**current, "status": "deleted", "event": "DELETE", "expired_at": now}
    return {"message": "Memory deleted", "results": [deleted]}


def delete_all(
    ctx: Context,
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    run_id: str | None = None,
) -> Steps[dict[str, Any]]:
    """Erase a scope's facts (all versions), episodes and orphaned entities. Nothing else."""
    scope = Scope.of(user_id, agent_id, run_id)
    counts = {
        "facts": (yield from _erase("scope_erase_facts", **scope.narrow())),
        "episodes": (yield from _erase("scope_erase_episodes", **scope.narrow())),
        "entities": (yield from _erase("scope_erase_orphans", owner=scope.owner)),
    }
    return {"message": f"Erased {scope.owner}'s memories", "deleted": counts}


def reset(ctx: Context) -> Steps[dict[str, Any]]:
    """Erase every graphmem entity and episode (with their facts). Foreign nodes stay."""
    counts = {
        "entities": (yield from _erase("reset_label", label="Entity")),
        "episodes": (yield from _erase("reset_label", label="Episode")),
    }
    return {"message": "graphmem data erased", "deleted": counts}


# -- internals ---------------------------------------------------------------------------------


def _embed_and_resolve(
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
    for fact, text_vec in zip(facts, vectors[len(extra) : len(extra) + len(facts)], strict=True):
        fact.vectors = (by_name.get(fact.subject, []), by_name.get(fact.object, []), text_vec)
    unknown = [
        (name, label, by_name[name])
        for f in facts
        for name, label in ((f.subject, f.s_label), (f.object, f.o_label))
        if name in by_name
    ]
    hints = yield from resolve_steps(ctx, scope, unknown)
    return vectors[: len(extra)], hints


def _existing_facts(
    ctx: Context, scope: Scope, msgs: list[Message], speaker: str
) -> Steps[list[dict[str, Any]]]:
    """Current facts about the speaker and the entities the messages name (for the LLM)."""
    words = f" {name_key(' '.join([speaker, *(m.content for m in msgs)]))} "
    page = yield from get_all(ctx, **scope.ids(), page_size=1000)
    return [
        f
        for f in page["results"]
        if f" {name_key(f['source'])} " in words or f" {name_key(f['target'])} " in words
    ][:200]


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
    yield from _create_episode(scope, episode_id, msg, now, now, None, vector)
    return [episode_id]


def _create_episode(
    scope: Scope,
    episode_id: str,
    msg: Message,
    occurred_at: str,
    now: str,
    metadata: str | None,
    vector: list[float] | None,
) -> TxSteps[None]:
    yield from run(
        "episode_create",
        id=episode_id,
        role=msg.role,
        name=msg.name,
        content=msg.content,
        content_hash=msg.content_hash(),
        occurred_at=occurred_at,
        now=now,
        metadata=metadata,
        embedding=vector,
        **scope.params(),
    )


def _erase(query_name: str, *, label: str | None = None, **params: Any) -> Steps[int]:
    total = 0
    while True:
        rows = yield from write(lambda: run(query_name, label=label, batch=_ERASE_BATCH, **params))
        deleted = int(rows[0]["deleted"]) if rows else 0
        total += deleted
        if deleted < _ERASE_BATCH:
            return total

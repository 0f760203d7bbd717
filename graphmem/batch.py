"""`add_many`: many `add` calls in one operation, with the outcome of making them in order.

Each item is one `add` call: its messages, scope (user_id / agent_id / run_id), timestamp,
metadata and `infer` flag (an `AddItem`, or a dict with those keys). Every item is validated
before anything is written; a bad one raises `ValidationError` naming it (``items[3]: ...``).
At most `MAX_ITEMS` items go in one call.

What `add` does once per call is done once per batch:

* extraction: one `extract_batch` over every item that infers when the extractor has it (the
  offline extractor parses all their messages in one `nlp.pipe`); else one `extract` per item
  (the LLM extractor: one model call per item, as `add`, shown the facts of the item's scope as
  they were when the batch began, so not those of the batch's earlier items);
* embedding: one model call for every episode text, fact sentence and fact name;
* one write transaction: every episode in one statement, then each item's facts in item
  order, then every MENTIONS link in one statement.

Inside the transaction an item's entity resolution and reconciliation run the same code as
`add` (`resolve.known_names`, `resolve.resolve_steps`, `reconcile.apply_fact`), reading in the
transaction, which sees what it wrote: item 2 resolves names to the entities item 1 created and
reconciles with the facts item 1 wrote, as if the items were added one by one. Each item is
given a time of its own, a microsecond after the previous item's, so that its versions are
recorded after theirs, as separate calls would be.

The transaction is all or nothing: when it fails, nothing of the batch is stored, and the error
names the item being written (``items[3]: ...``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from .categories import taxonomy
from .context import Context, EntityLookup
from .effects import Query, Read, ReadAll, Rows, Steps, TxSteps, compute, resume, run, write
from .errors import GraphmemError, LLMUnavailableError, ValidationError
from .extraction import BatchExtractor, Extraction, ExtractionRequest, Extractor
from .facts import Fact
from .feedback import Rejected, rejected
from .messages import Message, metadata_json, normalize_messages
from .resolve import known_names, name_key, resolve_steps
from .scope import Scope
from .times import to_iso
from .webhooks.outbox import notify_all
from .writes import (
    add_result,
    apply_facts,
    current_facts,
    episode_row,
    extracted_facts,
    facts_about,
    link_episodes,
    mark_waiting,
    mentioned_ids,
    set_vectors,
    speaker_of,
    unknown_names,
)

T = TypeVar("T")

# The most items one `add_many` call takes (split larger inputs; `ingest` does).
MAX_ITEMS = 1000


class AddItem(BaseModel):
    """One `add` call of `add_many`: the arguments `Memory.add` takes, by the same names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: Any
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    metadata: dict[str, Any] | None = None
    timestamp: Any = None
    infer: bool = True
    custom_categories: dict[str, str] | None = None


@dataclass
class _Call:
    """One validated item, and what the batch works out for it before the write."""

    index: int
    scope: Scope
    msgs: list[Message]
    metadata: dict[str, Any] | None
    meta: str | None
    said_at: str | None
    speaker: str
    infer: bool
    categories: dict[str, str] | None = None  # the item's own taxonomy
    now: str = ""
    ids: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    waiting: str | None = None  # why its extraction waits (the LLM was unreachable)


def add_many(
    ctx: Context, items: Sequence[AddItem | Mapping[str, Any]]
) -> Steps[list[dict[str, Any]]]:
    """Add many items (each one `add` call) in one operation: one extraction batch, one
    embedding call, one write transaction. Returns what `add` returns, one per item, in order.
    Each item is an `AddItem` or a dict of its keys; at most `MAX_ITEMS` items per call.

    The stored graph is the one adding the items one by one in this order would give (but the
    LLM extractor is shown each scope's facts as they were before the batch, see above). All
    or nothing: a bad item or a failed write stores nothing and raises an error that names the
    item (``items[3]: ...``)."""
    calls = check_items(items)
    for call, now in zip(calls, _clock(len(calls)), strict=True):
        call.now = now
        call.ids = [str(uuid.uuid4()) for _ in call.msgs]
    yield from _extract(ctx, calls)
    vectors = yield from _embed(ctx, calls)
    episodes = [
        episode_row(call.scope, episode_id, msg, call.said_at or call.now, call.now, call.meta,
                    vectors[msg.content])
        for call in calls
        for episode_id, msg in zip(call.ids, call.msgs, strict=True)
    ]  # fmt: skip
    at: list[int | None] = [None]  # the item being written, for the error

    def work() -> TxSteps[list[list[dict[str, Any]]]]:
        at[0] = None
        created: list[dict[str, Any]] = []  # the entities this attempt created so far
        lookup = ctx
        if ctx.entity_search is not None:
            lookup = replace(ctx, entity_search=_BatchLookup(ctx.entity_search, created))
        yield from run("episode_create_many", episodes=episodes)
        waiting = [call for call in calls if call.waiting is not None]
        if waiting:  # one error for all: the later items were not even tried
            error = waiting[0].waiting or ""
            yield from mark_waiting([(c.scope, c.ids) for c in waiting], error, waiting[0].now)
        events: list[list[dict[str, Any]]] = []
        for call in calls:
            at[0] = call.index
            found = yield from _watch(_apply(lookup, call, vectors), created)
            events.append(found)
        at[0] = None
        yield from link_episodes(
            [(call.ids, mentioned_ids(found)) for call, found in zip(calls, events, strict=True)]
        )
        yield from notify_all(
            [(call.scope, found, call.now) for call, found in zip(calls, events, strict=True)]
        )
        return events

    try:
        events = yield from write(work)
    except GraphmemError as exc:
        if at[0] is None:
            raise
        raise _at(at[0], exc) from exc
    except Exception as exc:
        note = getattr(exc, "add_note", None)  # Python 3.11+
        if at[0] is not None and note is not None:
            note(f"while writing items[{at[0]}] of add_many")
        raise
    return [
        add_result(
            call.msgs,
            call.ids,
            call.now,
            call.metadata,
            found,
            infer=call.infer,
            waiting=call.waiting,
        )
        for call, found in zip(calls, events, strict=True)
    ]


def check_items(items: Sequence[AddItem | Mapping[str, Any]]) -> list[_Call]:
    """Validate every item before anything is read or written (`ValidationError` naming the
    first bad item: ``items[3].timestamp: ...``)."""
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Sequence):
        raise ValidationError(
            f"items must be a list of add items (dicts or AddItem), not {type(items).__name__}"
        )
    if not items:
        raise ValidationError("items is empty: nothing to add")
    if len(items) > MAX_ITEMS:
        raise ValidationError(
            f"add_many takes at most {MAX_ITEMS} items per call, got {len(items)}: split them"
        )
    return [_check(index, item) for index, item in enumerate(items)]


def _check(index: int, item: AddItem | Mapping[str, Any]) -> _Call:
    try:
        spec = item if isinstance(item, AddItem) else AddItem.model_validate(item)
    except PydanticValidationError as exc:
        raise ValidationError(_describe(f"items[{index}]", exc)) from exc
    try:
        scope = Scope.of(spec.user_id, spec.agent_id, spec.run_id)
        msgs = normalize_messages(spec.messages)
        meta = metadata_json(spec.metadata)
        said_at = to_iso(spec.timestamp, "timestamp")
        own = None if spec.custom_categories is None else taxonomy(spec.custom_categories)
    except GraphmemError as exc:
        raise ValidationError(f"items[{index}]: {exc}") from exc
    return _Call(
        index=index,
        scope=scope,
        msgs=msgs,
        metadata=spec.metadata,
        meta=meta,
        said_at=said_at,
        speaker=speaker_of(scope, msgs),
        infer=spec.infer,
        categories=own,
    )


# -- before the write --------------------------------------------------------------------------


def _clock(count: int) -> list[str]:
    """One time per item, now and then a microsecond apart (every engine keeps microseconds)."""
    start = datetime.now(timezone.utc)
    return [
        (start + timedelta(microseconds=i)).isoformat(timespec="microseconds") for i in range(count)
    ]


def _extract(ctx: Context, calls: list[_Call]) -> Steps[None]:
    """Every inferring item's candidate facts: one `extract_batch` when the extractor has it
    (the offline one), else one `extract` call per item (the LLM extractor: one model call per
    item, shown its scope's facts as they were when the batch began, read once per scope).
    What each owner marked wrong (`graphmem.feedback`) is read once and dropped. An
    item whose extraction fails or gives an invalid fact raises an error naming it."""
    inferring = [call for call in calls if call.infer]
    if not inferring:
        return
    wrong: dict[str, list[Rejected]] = {}
    for call in inferring:
        if call.scope.owner not in wrong:
            wrong[call.scope.owner] = yield from rejected(call.scope)
    extractor = yield from compute(_extractor, ctx)  # built on first use, off the event loop
    if isinstance(extractor, BatchExtractor):
        requests = [
            ExtractionRequest(call.msgs, call.speaker, call.said_at or call.now)
            for call in inferring
        ]
        extractions: list[Extraction] = yield from compute(extractor.extract_batch, requests)
        for call, extraction in zip(inferring, extractions, strict=True):
            call.facts = _facts(ctx, call, extraction, wrong[call.scope.owner])
        return
    pages: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    down: str | None = None  # the LLM's error once an item found it unreachable
    for call in inferring:
        if down is not None:
            call.waiting = down
            continue
        existing = None
        if ctx.config.extractor == "llm":
            key = tuple(call.scope.ids().values())
            if key not in pages:
                pages[key] = yield from current_facts(ctx, call.scope)
            existing = facts_about(pages[key], call.msgs, call.speaker)
        try:
            extraction = yield from compute(
                ctx.extract,
                call.msgs,
                call.speaker,
                call.said_at or call.now,
                existing,
                wrong[call.scope.owner],
                call.categories,
            )
        except LLMUnavailableError as exc:
            call.waiting = down = str(exc)
            continue
        except GraphmemError as exc:
            raise _at(call.index, exc) from exc
        call.facts = _facts(ctx, call, extraction, wrong[call.scope.owner])


def _extractor(ctx: Context) -> Extractor:
    return ctx.extractor


def _facts(ctx: Context, call: _Call, extraction: Extraction, wrong: list[Rejected]) -> list[Fact]:
    """The item's candidate facts (an invalid one raises naming the item), less those its
    owner marked wrong."""
    try:
        return extracted_facts(ctx, extraction, call.meta, wrong, call.categories)
    except GraphmemError as exc:
        raise _at(call.index, exc) from exc


def _embed(ctx: Context, calls: list[_Call]) -> Steps[dict[str, list[float]]]:
    """One model call for every distinct episode text, fact sentence and fact name, by text.
    (`add` embeds only the names that are not yet exact names of the owner; which ones those
    are for an item depends on the items before it, so every name gets a vector here, and the
    write uses the vectors of the names that `add` would have embedded.)"""
    texts: dict[str, None] = {}
    for call in calls:
        texts.update(dict.fromkeys(m.content for m in call.msgs))
    for call in calls:
        for fact in call.facts:
            texts.update(dict.fromkeys((fact.text, fact.subject, fact.object)))
    order = list(texts)
    vectors: list[list[float]] = yield from compute(ctx.embed, order)
    return dict(zip(order, vectors, strict=True))


# -- inside the write transaction --------------------------------------------------------------


def _apply(ctx: Context, call: _Call, vectors: dict[str, list[float]]) -> TxSteps[list[Any]]:
    """One item's facts, as `add` writes them: the names that are not exact names of the
    owner's entities now (after the earlier items) get their vectors and are resolved, then
    each fact is reconciled and written."""
    if not call.facts:
        return []
    names = sorted({n for f in call.facts for n in (f.subject, f.object)})
    known = yield from _in_tx(known_names(call.scope, names))
    by_name = {n: vectors[n] for n in names if name_key(n) not in known}
    set_vectors(call.facts, by_name, [vectors[f.text] for f in call.facts])
    hints = yield from _in_tx(resolve_steps(ctx, call.scope, unknown_names(call.facts, by_name)))
    events: list[dict[str, Any]] = yield from apply_facts(
        ctx, call.scope, call.facts, call.ids, call.said_at, call.now, hints
    )
    return events


def _in_tx(steps: Steps[T]) -> TxSteps[T]:
    """A read-only operation's steps run inside the write transaction: each read becomes a
    statement of the transaction, so it sees what the transaction has written."""
    done, step = resume(steps, None)
    while not done:
        if isinstance(step, Read):
            queries: tuple[Query, ...] = (step.query,)
        elif isinstance(step, ReadAll):
            queries = step.queries
        else:
            raise TypeError(f"only reads can run inside a write transaction, not {step!r}")
        answers: list[Rows] = []
        try:
            for q in queries:
                answers.append((yield q))
        except Exception as exc:
            done, step = resume(steps, None, exc)
            continue
        done, step = resume(steps, answers[0] if isinstance(step, Read) else answers)
    return step  # type: ignore[no-any-return]


def _watch(steps: TxSteps[T], created: list[dict[str, Any]]) -> TxSteps[T]:
    """Pass a transaction's statements through, noting every entity it creates."""
    done, q = resume(steps, None)
    while not done:
        if q.name == "entity_create":
            created.append(q.params)
        try:
            rows = yield q
        except Exception as exc:
            done, q = resume(steps, None, exc)
            continue
        done, q = resume(steps, rows)
    return q  # type: ignore[no-any-return]


class _BatchLookup:
    """The owner-scoped vector lookup inside the batch's transaction: the store's answer, plus
    the entities the batch created so far (a vector index need not see a transaction's own
    writes; those already in the store's answer are not counted twice)."""

    def __init__(self, store: EntityLookup, created: list[dict[str, Any]]) -> None:
        self.store = store
        self.created = created

    def similar_steps(
        self, owner: str, vector: Sequence[float], k: int = 10
    ) -> Steps[list[dict[str, Any]]]:
        hits = yield from self.store.similar_steps(owner, vector, k)
        seen = {h["id"] for h in hits}
        extra = [
            {"id": e["id"], "name": e["name"], "type": e["type"],
             "score": _cosine(vector, e["embedding"])}
            for e in self.created
            if e["owner"] == owner and e["embedding"] and e["id"] not in seen
        ]  # fmt: skip
        if not extra:
            return hits
        return sorted([*hits, *extra], key=lambda h: (-h["score"], h["id"]))[:k]

    def plan_steps(self, owner: str, k: int = 10) -> Steps[Any]:
        return (yield from self.store.plan_steps(owner, k))

    def first_query(self, plan: Any, owner: str, vector: Sequence[float], k: int) -> Query:
        return self.store.first_query(plan, owner, vector, k)

    def finish_steps(self, plan: Any, first: Query, rows: Rows) -> Steps[Any]:
        return (yield from self.store.finish_steps(plan, first, rows))


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    return min(1.0, max(-1.0, float(x @ y) / norm)) if norm > 0 else -1.0


# -- errors ------------------------------------------------------------------------------------


def _at(index: int, exc: GraphmemError) -> GraphmemError:
    """The same kind of error, naming the item it is about (``items[3]: ...``); its `item`
    attribute is the index, its cause `exc` (`ingest` names the input line instead)."""
    error = named(exc, f"items[{index}]")
    error.item = index  # type: ignore[attr-defined]
    return error


def named(exc: GraphmemError, where: str) -> GraphmemError:
    """The same kind of error as `exc`, its message prefixed with `where`."""
    try:
        return type(exc)(f"{where}: {exc}")
    except TypeError:  # an error class with other constructor arguments
        return GraphmemError(f"{where}: {exc}")


def _describe(item: str, exc: PydanticValidationError) -> str:
    """``items[3].colour: unknown key; items[3].infer: Input should be a valid boolean``."""
    parts = []
    for error in exc.errors():
        where = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in error["loc"])
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        parts.append(f"{item}{where}: {message}")
    return "; ".join(parts)

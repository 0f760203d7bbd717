"""`Memory`: the synchronous public API (mem0-compatible where the concepts match).

Facts are versioned typed relationships: a change never deletes one, it closes the current
version and opens the next with the same `memory_id`. Only `delete_all` and `reset` erase,
and only graphmem's data in the caller's scope.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import records
from .config import MemoryConfig
from .embeddings import Embedder, make_embedder
from .errors import NotFoundError, ValidationError
from .extraction import Extractor, make_extractor
from .filters import matches
from .filters import validate as validate_filters
from .messages import Message, metadata_json, normalize_messages
from .ontology import Ontology, RelationType, load_ontology
from .reconcile import decide
from .scope import Scope
from .store.graph_store import GraphStore, Tx
from .times import now_iso, to_iso

log = logging.getLogger(__name__)

_ERASE_BATCH = 1000
_MAX_NAME = 256
_UPDATE_KEYS = frozenset({"subject", "relation", "object", "valid_from", "valid_to", "fact"})


def name_key(name: str) -> str:
    """Normalized entity name: case, accents-compatible forms, punctuation and spacing folded.

    >>> name_key("  Dr. ALICE   Smith! ")
    'dr alice smith'
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


class Memory:
    """A graph memory over Neo4j or the embedded store. Use as a context manager or `close()`."""

    def __init__(self, config: MemoryConfig | dict[str, Any] | None = None) -> None:
        if config is None:
            config = MemoryConfig.from_env()
        elif isinstance(config, dict):
            config = MemoryConfig.from_dict(config)
        self.config = config
        self.ontology: Ontology = load_ontology(config.ontology)
        self.embedder: Embedder = make_embedder(config.embedder)
        self.store = GraphStore(config.store, self.embedder.dimensions, self.embedder.name)
        self._extractor: Extractor | None = None

    @property
    def extractor(self) -> Extractor:
        """The configured extractor, built on first use (spaCy or the LLM client)."""
        if self._extractor is None:
            self._extractor = make_extractor(self.config, self.ontology)
        return self._extractor

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Memory:
        """mem0-style constructor from a config dict."""
        return cls(MemoryConfig.from_dict(config))

    @classmethod
    def from_config_file(cls, path: str | Path) -> Memory:
        """Build from a YAML or JSON config file."""
        return cls(MemoryConfig.from_file(path))

    def close(self) -> None:
        """Close the connection; the embedded server stops when its last user closes."""
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ----------------------------------------------------------------------------------

    def add(
        self,
        messages: Any,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
        timestamp: Any = None,
    ) -> dict[str, Any]:
        """Store messages as episodes and, with `infer=True` (the default), the facts the
        extractor finds in them, all in one transaction. Returns the fact events (ADD, UPDATE,
        DELETE, NOOP) in `results`, or the stored episodes when `infer=False`."""
        scope = Scope.of(user_id, agent_id, run_id)
        msgs = normalize_messages(messages)
        meta = metadata_json(metadata)
        now = now_iso()
        occurred = to_iso(timestamp, "timestamp") or now
        speaker = next((m.name for m in msgs if m.name), None) or (
            scope.user_id or scope.agent_id or "User"
        )
        facts: list[_Fact] = []
        if infer:
            existing = None
            if self.config.extractor == "llm":
                existing = self._existing_facts(scope, msgs, speaker)
            extraction = self.extractor.extract(
                msgs, speaker=speaker, occurred_at=occurred, existing=existing
            )
            facts = [
                self._prepare(
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
        vectors = self._embed(facts, [m.content for m in msgs])
        ids = [str(uuid.uuid4()) for _ in msgs]

        def work(tx: Tx) -> list[dict[str, Any]]:
            for episode_id, msg, vector in zip(ids, msgs, vectors, strict=True):
                _create_episode(tx, scope, episode_id, msg, occurred, now, meta, vector)
            events = [e for f in facts if (e := self._apply(tx, scope, f, ids, now))]
            mentioned = sorted({e[k] for e in events for k in ("source_id", "target_id")})
            for episode_id in ids:
                tx.run("episode_link", episode_id=episode_id, entity_ids=mentioned)
            return events

        events = self.store.write(work)
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
        self,
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
    ) -> dict[str, Any]:
        """Write one fact you extracted yourself; returns its ADD, UPDATE or NOOP event.

        `source` is provenance: the id of an episode in this scope, or free text (stored as a
        new episode). Everything is validated before anything is written.
        """
        scope = Scope.of(user_id, agent_id, run_id)
        fact = self._prepare(
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
        source_vecs = self._embed([fact], [source] if source else [])
        source_vec = source_vecs[0] if source_vecs else None
        now = now_iso()

        def work(tx: Tx) -> dict[str, Any] | None:
            episode_ids = self._source_episode(tx, scope, source, source_vec, now)
            event = self._apply(tx, scope, fact, episode_ids, now)
            if event and episode_ids:
                tx.run(
                    "episode_link",
                    episode_id=episode_ids[0],
                    entity_ids=[event["source_id"], event["target_id"]],
                )
            return event

        return {"results": [self.store.write(work)]}

    def update(
        self, memory_id: str, data: str | dict[str, Any], metadata: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Create the next version of a fact. `data` is the new object (a string) or a dict of
        any of subject, relation, object, valid_from, valid_to, fact."""
        current = self._current(memory_id)
        if isinstance(data, str):
            data = {"object": data}
        if not isinstance(data, dict) or not data or set(data) - _UPDATE_KEYS:
            raise ValidationError(
                f"data must be the new object name or a dict of {sorted(_UPDATE_KEYS)}"
            )
        fact = self._prepare(
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
        self._embed([fact])
        s_vec, o_vec, f_vec = fact.vectors
        scope = Scope.of(current["user_id"], current["agent_id"], current["run_id"])
        now = now_iso()

        def work(tx: Tx) -> dict[str, Any]:
            _close(tx, current, "superseded", fact.start or now, now)
            s_id = self._entity(tx, scope, fact.subject, fact.s_label, s_vec, now)
            o_id = self._entity(tx, scope, fact.object, fact.o_label, o_vec, now)
            assert s_id is not None and o_id is not None
            event = self._create_version(
                tx,
                scope,
                fact.rel.name,
                s_id,
                o_id,
                memory_id=memory_id,
                version=current["version"] + 1,
                fact=fact.text,
                valid_from=fact.start or now,
                valid_to=fact.end,
                now=now,
                created_at=current["created_at"] or now,
                episode_ids=[],
                confidence=fact.confidence,
                metadata=fact.metadata,
                expiration_date=fact.expires,
                immutable=fact.immutable,
                embedding=f_vec,
            )
            return {**event, "event": "UPDATE", "previous_memory": current["memory"]}

        return {"message": "Memory updated", "results": [self.store.write(work)]}

    def delete(self, memory_id: str) -> dict[str, Any]:
        """Close the current version as deleted; the history keeps every version."""
        current = self._current(memory_id)
        now = now_iso()
        self.store.write(lambda tx: _close(tx, current, "deleted", now, now))
        deleted = {**current, "status": "deleted", "event": "DELETE", "expired_at": now}
        return {"message": "Memory deleted", "results": [deleted]}

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, Any]:
        """Erase a scope's facts (all versions), episodes and orphaned entities. Nothing else."""
        scope = Scope.of(user_id, agent_id, run_id)
        counts = {
            "facts": self._erase("scope_erase_facts", **_narrow(scope)),
            "episodes": self._erase("scope_erase_episodes", **_narrow(scope)),
            "entities": self._erase("scope_erase_orphans", owner=scope.owner),
        }
        return {"message": f"Erased {scope.owner}'s memories", "deleted": counts}

    def reset(self) -> dict[str, Any]:
        """Erase every graphmem entity and episode (with their facts). Foreign nodes stay."""
        counts = {
            "entities": self._erase("reset_label", label="Entity"),
            "episodes": self._erase("reset_label", label="Episode"),
        }
        return {"message": "graphmem data erased", "deleted": counts}

    # -- reads -----------------------------------------------------------------------------------

    def get(self, memory_id: str) -> dict[str, Any] | None:
        """The latest version of a memory (current, or closed with its status), or None."""
        versions = self._versions(memory_id)
        return versions[-1] if versions else None

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: dict[str, Any] | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> dict[str, Any]:
        """The scope's current facts, newest first, one page; `filters` as in `graphmem.filters`."""
        scope = Scope.of(user_id, agent_id, run_id)
        if (
            not isinstance(page, int)
            or page < 1
            or not isinstance(page_size, int)
            or not (1 <= page_size <= 10_000)
        ):
            raise ValidationError("page must be >= 1 and page_size in 1..10000")
        if filters is None:
            rows = self.store.read(
                "fact_list",
                now=now_iso(),
                skip=(page - 1) * page_size,
                limit=page_size,
                **_narrow(scope),
            )
            return {"results": [records.fact(r) for r in rows]}
        validate_filters(filters)
        rows = self.store.read(
            "fact_list", now=now_iso(), skip=0, limit=10_000_000, **_narrow(scope)
        )
        selected = [f for f in map(records.fact, rows) if matches(filters, f)]
        start = (page - 1) * page_size
        return {"results": selected[start : start + page_size]}

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """Every change of a memory, oldest first: ADD, UPDATEs, and DELETE if deleted."""
        versions = self._versions(memory_id)
        if not versions:
            raise NotFoundError(f"no memory with id {memory_id!r}")
        return records.history(versions)

    # -- internals -------------------------------------------------------------------------------

    def _versions(self, memory_id: str) -> list[dict[str, Any]]:
        if not isinstance(memory_id, str) or not memory_id:
            raise ValidationError("memory_id must be a non-empty string")
        return [records.fact(r) for r in self.store.read("fact_versions", memory_id=memory_id)]

    def _current(self, memory_id: str) -> dict[str, Any]:
        versions = self._versions(memory_id)
        if not versions:
            raise NotFoundError(f"no memory with id {memory_id!r}")
        current = [v for v in versions if v["status"] == "current"]
        if not current:
            raise NotFoundError(
                f"memory {memory_id!r} is {versions[-1]['status']}: no current version"
            )
        return current[-1]

    @staticmethod
    def _create_version(
        tx: Tx, scope: Scope, rel_type: str, subject_id: str, object_id: str, **props: Any
    ) -> dict[str, Any]:
        """Write one version of a fact (see cypher/fact_create.cypher) and return it."""
        version_id = str(uuid.uuid4())
        tx.run(
            "fact_create",
            rel_type=rel_type,
            subject_id=subject_id,
            object_id=object_id,
            id=version_id,
            **props,
            **scope.params(),
        )
        row = tx.run("fact_version", subject_id=subject_id, id=version_id)[0]
        return records.fact(row)

    def _entity(
        self,
        tx: Tx,
        scope: Scope,
        name: str,
        label: str,
        vector: list[float],
        now: str,
        create: bool = True,
    ) -> str | None:
        key = name_key(name)
        found = tx.run("entity_find", owner=scope.owner, name_key=key)
        if found:
            if create:
                tx.run("entity_mentioned", id=found[0]["id"], now=now)
            return str(found[0]["id"])
        if not create:
            return None
        entity_id = str(uuid.uuid4())
        tx.run(
            "entity_create",
            label=label,
            id=entity_id,
            owner=scope.owner,
            name=name,
            name_key=key,
            type=label,
            embedding=vector,
            now=now,
        )
        return entity_id

    def _source_episode(
        self, tx: Tx, scope: Scope, source: str | None, vector: list[float] | None, now: str
    ) -> list[str]:
        """The episode a structured fact cites: an existing one by id, or one made of the text."""
        if source is None:
            return []
        if tx.run("episode_find", id=source, owner=scope.owner):
            return [source]
        episode_id = str(uuid.uuid4())
        msg = normalize_messages({"role": "source", "content": source})[0]
        _create_episode(tx, scope, episode_id, msg, now, now, None, vector)
        return [episode_id]

    def _prepare(
        self,
        subject: Any,
        relation: str,
        object: Any,
        *,
        subject_type: str | None = None,
        object_type: str | None = None,
        valid_from: Any = None,
        valid_to: Any = None,
        metadata: str | None = None,
        confidence: float | None = None,
        expiration_date: Any = None,
        immutable: bool = False,
        negated: bool = False,
        replaces: str | None = None,
    ) -> _Fact:
        """Validate a candidate fact completely, before anything is written."""
        rel = self.ontology.relation(relation)
        subject, object = _entity_name(subject, "subject"), _entity_name(object, "object")
        start, end = to_iso(valid_from, "valid_from"), to_iso(valid_to, "valid_to")
        _check_interval(start, end)
        if confidence is not None and not 0.0 <= float(confidence) <= 1.0:
            raise ValidationError(f"confidence must be in [0, 1], got {confidence}")
        return _Fact(
            rel=rel,
            subject=subject,
            object=object,
            s_label=self.ontology.entity_label(subject_type or _first(rel.subject)),
            o_label=self.ontology.entity_label(object_type or _first(rel.object)),
            start=start,
            end=end,
            metadata=metadata,
            confidence=confidence,
            expires=to_iso(expiration_date, "expiration_date"),
            immutable=bool(immutable),
            negated=negated,
            replaces=replaces,
            text=_fact_text(rel, subject, object),
        )

    def _embed(self, facts: list[_Fact], extra: list[str] | None = None) -> list[list[float]]:
        """Embed the names and sentences of all facts, plus `extra` texts (messages, a
        source), in ONE model call; set the facts' vectors and return the extra ones."""
        extra = extra or []
        texts = [*extra, *(t for f in facts for t in (f.subject, f.object, f.text))]
        vectors = self.embedder.embed(texts)
        rest = vectors[len(extra) :]
        for i, fact in enumerate(facts):
            fact.vectors = (rest[3 * i], rest[3 * i + 1], rest[3 * i + 2])
        return vectors[: len(extra)]

    def _apply(
        self, tx: Tx, scope: Scope, fact: _Fact, episode_ids: list[str], now: str
    ) -> dict[str, Any] | None:
        """Reconcile one fact with the current ones and write the outcome; the event or None."""
        s_vec, o_vec, f_vec = fact.vectors
        if fact.negated:  # retract what is denied; never create entities for it
            s_id = self._entity(tx, scope, fact.subject, fact.s_label, s_vec, now, create=False)
            o_id = self._entity(tx, scope, fact.object, fact.o_label, o_vec, now, create=False)
            if s_id is None or o_id is None:
                return None
            current = self._current_facts(tx, scope, s_id, fact.rel.name)
            denied = [f for f in current if f["target_id"] == o_id]
            for old in denied:
                _close(tx, old, "deleted", fact.end or now, now)
            if not denied:
                return None
            return {
                **denied[0],
                "event": "DELETE",
                "status": "deleted",
                "expired_at": now,
                "previous_memory": denied[0]["memory"],
            }
        s_id = self._entity(tx, scope, fact.subject, fact.s_label, s_vec, now)
        o_id = self._entity(tx, scope, fact.object, fact.o_label, o_vec, now)
        assert s_id is not None and o_id is not None
        current = self._current_facts(tx, scope, s_id, fact.rel.name)
        decision = decide(fact.rel, o_id, current)
        if decision.event == "NOOP":
            assert decision.existing is not None
            tx.run(
                "fact_add_provenance",
                subject_id=s_id,
                id=decision.existing["version_id"],
                episode_ids=episode_ids,
            )
            return {**decision.existing, "event": "NOOP"}
        previous, close = decision.existing, list(decision.close)
        if previous is None and fact.replaces:  # an LLM named the memory this one updates
            target = [f for f in current if f["id"] == fact.replaces]
            previous, close = (target[0], target) if target else (None, [])
        memory_id, version, created = str(uuid.uuid4()), 1, now
        if previous is not None:
            memory_id, version = previous["id"], previous["version"] + 1
            created = previous["created_at"] or now
            for old in close:
                _close(tx, old, "superseded", fact.start or now, now)
        event = self._create_version(
            tx,
            scope,
            fact.rel.name,
            s_id,
            o_id,
            memory_id=memory_id,
            version=version,
            fact=fact.text,
            valid_from=fact.start,
            valid_to=fact.end,
            now=now,
            created_at=created,
            episode_ids=episode_ids,
            confidence=fact.confidence,
            metadata=fact.metadata,
            expiration_date=fact.expires,
            immutable=fact.immutable,
            embedding=f_vec,
        )
        event["event"] = "ADD" if previous is None else "UPDATE"
        if previous is not None:
            event["previous_memory"] = previous["memory"]
        return event

    @staticmethod
    def _current_facts(
        tx: Tx, scope: Scope, subject_id: str, rel_type: str
    ) -> list[dict[str, Any]]:
        rows = tx.run("fact_current", subject_id=subject_id, type_name=rel_type, **_narrow(scope))
        facts = [records.fact(row) for row in rows]
        facts.sort(key=lambda f: f["recorded_at"] or "", reverse=True)
        return facts

    def _existing_facts(self, scope: Scope, msgs: list[Any], speaker: str) -> list[dict[str, Any]]:
        """Current facts about the speaker and the entities the messages name (for the LLM)."""
        text = name_key(" ".join([speaker, *(m.content for m in msgs)]))
        words = f" {text} "
        facts = self.get_all(**_scope_kwargs(scope), page_size=1000)["results"]
        return [
            f
            for f in facts
            if f" {name_key(f['source'])} " in words or f" {name_key(f['target'])} " in words
        ][:200]

    def _erase(self, query_name: str, *, label: str | None = None, **params: Any) -> int:
        total = 0
        while True:
            rows = self.store.write(
                lambda tx: tx.run(query_name, label=label, batch=_ERASE_BATCH, **params)
            )
            deleted = int(rows[0]["deleted"]) if rows else 0
            total += deleted
            if deleted < _ERASE_BATCH:
                return total


@dataclass
class _Fact:
    """A validated candidate fact, ready to be embedded and applied inside a transaction."""

    rel: RelationType
    subject: str
    object: str
    s_label: str
    o_label: str
    start: str | None
    end: str | None
    metadata: str | None
    confidence: float | None
    expires: str | None
    immutable: bool
    negated: bool
    replaces: str | None
    text: str
    vectors: tuple[list[float], list[float], list[float]] = field(default=((), (), ()))  # type: ignore[assignment]


def _create_episode(
    tx: Tx,
    scope: Scope,
    episode_id: str,
    msg: Message,
    occurred_at: str,
    now: str,
    metadata: str | None,
    vector: list[float] | None,
) -> None:
    tx.run(
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


def _scope_kwargs(scope: Scope) -> dict[str, Any]:
    return {"user_id": scope.user_id, "agent_id": scope.agent_id, "run_id": scope.run_id}


def _close(tx: Tx, fact: dict[str, Any], status: str, valid_to: str, now: str) -> None:
    closed = tx.run(
        "fact_close",
        subject_id=fact["source_id"],
        id=fact["version_id"],
        status=status,
        valid_to=valid_to,
        now=now,
    )
    if not closed:
        raise ValidationError(
            f"memory {fact['id']!r} changed while this call ran (no current version to close); "
            "read it again and retry"
        )


def _narrow(scope: Scope) -> dict[str, Any]:
    return {"owner": scope.owner, "agent_id": scope.agent_id, "run_id": scope.run_id}


def _first(types: list[str]) -> str | None:
    return types[0] if types else None


def _entity_name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty name")
    if len(value) > _MAX_NAME:
        raise ValidationError(f"{field} is longer than {_MAX_NAME} characters")
    return " ".join(value.split())


def _fact_text(rel: RelationType, subject: str, object: str) -> str:
    if rel.template:
        return rel.template.format(subject=subject, object=object)
    return f"{subject} {rel.name.lower().replace('_', ' ')} {object}"


def _check_interval(start: str | None, end: str | None) -> None:
    if start and end and end < start:
        raise ValidationError(f"valid_to ({end}) is before valid_from ({start})")

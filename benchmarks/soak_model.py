"""The reference model of one soak user: what graphmem must hold after the calls one worker
made for that user and saw acknowledged, and what each call must answer.

Pure Python, no I/O. A user is written by one worker only, so the model alone says what the
store holds for it. An *exact* user (`add_relation`, `update`, `delete`, episodes,
`forget_episode`, `merge_entities`) is predicted call by call from the README's rules:

- `add_relation`: NOOP when a current fact of the subject already says it (the call's source
  episode joins that version), UPDATE of the one current memory of a functional relation,
  else ADD (as `tests/test_properties.py`'s model);
- `update` / `delete` of a memory with a current version: a new version / closed as deleted;
  of one without: NotFoundError;
- `forget_episode(e)`: every version that only `e` taught is retracted, the others lose `e`;
  a retracted current version whose predecessor is superseded and still holds is restored as
  a new version (without `e` among its sources);
- `merge_entities(keep, gone)`: every version of `gone` moves to `keep` (its name an alias from
  then on); of `keep`'s current facts of the relations `gone` had, equal ones keep one (the
  first created), and a functional relation's distinct current values keep one.

An *extractor* user (`add(infer=True)`) is not predicted: the model follows the events the
server returned, and the checks compare the store with them.

A memory the server answered differently for is *tainted* (`taint`): one divergence is
reported once, not again by every later comparison of that memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CURRENT, SUPERSEDED, DELETED, RETRACTED = "current", "superseded", "deleted", "retracted"


@dataclass
class Version:
    """One version of a memory: its object, the episodes that taught it, its status."""

    target: str
    episodes: set[str] = field(default_factory=set)
    status: str = CURRENT


@dataclass
class Fact:
    """One memory (a `memory_id`): subject and relation, and its versions in order."""

    id: str
    subject: str
    relation: str
    versions: list[Version]
    order: int  # creation order within the user (`merge_entities` keeps the first created)

    @property
    def current(self) -> Version | None:
        last = self.versions[-1]
        return last if last.status == CURRENT else None


@dataclass
class UserModel:
    """What one user's memory must hold (see the module docstring)."""

    user: str
    functional: frozenset[str]
    exact: bool = True
    facts: dict[str, Fact] = field(default_factory=dict)
    episodes: set[str] = field(default_factory=set)  # not forgotten
    known_episodes: set[str] = field(default_factory=set)  # ever stored (cross-owner checks)
    aliases: dict[str, str] = field(default_factory=dict)  # merged name -> kept name
    entities: set[str] = field(default_factory=set)  # names of existing entities, canonical
    tainted: dict[str, str] = field(default_factory=dict)  # memory id -> first divergence

    # -- reads ---------------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        """The name of the entity `name` resolves to (itself, or the entity it was merged
        into)."""
        return self.aliases.get(name, name)

    def current(self) -> dict[str, tuple[str, str, str]]:
        """memory id -> (subject, relation, object) of every current fact."""
        return {
            mid: (f.subject, f.relation, v.target)
            for mid, f in self.facts.items()
            if (v := f.current) is not None
        }

    def live(self, subject: str, relation: str) -> list[Fact]:
        return [
            f
            for f in self.facts.values()
            if f.subject == subject and f.relation == relation and f.current is not None
        ]

    def expect_add(self, subject: str, relation: str, target: str) -> tuple[str, set[str]]:
        """The event `add_relation` must give and the memories it may touch (an explicit
        update can make two memories say the same; a repeat may then join either)."""
        subject, target = self.canonical(subject), self.canonical(target)
        live = self.live(subject, relation)
        same = {f.id for f in live if f.current and f.current.target == target}
        if same:
            return "NOOP", same
        if relation in self.functional and live:
            return "UPDATE", {f.id for f in live}
        return "ADD", set()

    # -- writes --------------------------------------------------------------------------------

    def resolved(self, name: str, entity: str) -> None:
        """The server resolved `name` to the entity named `entity`: from now on so does the
        model (after reporting the divergence, if it is one)."""
        if name == entity:
            self.aliases.pop(name, None)
        else:
            self.aliases[name] = entity

    def add_episodes(self, ids: list[str]) -> None:
        self.episodes.update(ids)
        self.known_episodes.update(ids)

    def apply_event(self, event: dict[str, Any], episodes: set[str]) -> None:
        """A fact event the server acknowledged (`add_relation`, or `add`'s extraction)."""
        kind, mid = event["event"], event["id"]
        if kind == "ADD":
            self.facts[mid] = Fact(
                mid,
                event["source"],
                event["relationship"],
                [Version(event["target"], set(episodes))],
                len(self.facts),
            )
            self.entities.update((event["source"], event["target"]))
            return
        fact = self.facts.get(mid)
        current = fact.current if fact else None
        if fact is None or current is None:
            raise KeyError(f"{kind} of {mid}, which the model holds no current version of")
        if kind == "NOOP":
            current.episodes |= episodes
        elif kind == "UPDATE":
            current.status = SUPERSEDED
            fact.versions.append(Version(event["target"], set(episodes)))
            self.entities.add(event["target"])
        elif kind == "DELETE":
            current.status = DELETED

    def update(self, mid: str, target: str) -> None:
        fact = self.facts[mid]
        assert fact.current is not None
        fact.current.status = SUPERSEDED
        fact.versions.append(Version(target))
        self.entities.add(target)

    def delete(self, mid: str) -> None:
        current = self.facts[mid].current
        assert current is not None
        current.status = DELETED

    def forget(self, episode: str) -> tuple[int, int]:
        """Apply `forget_episode(episode)`; returns the (DELETE, UPDATE) events it must give."""
        deleted = restored = 0
        for fact in self.facts.values():
            versions = fact.versions
            retracting = {i for i, v in enumerate(versions) if v.episodes == {episode}}
            for i, v in enumerate(list(versions)):
                if episode not in v.episodes:
                    continue
                if v.episodes != {episode}:
                    v.episodes.discard(episode)
                    continue
                was_current, v.status = v.status == CURRENT, RETRACTED
                if not was_current:
                    continue
                deleted += 1
                # the last earlier version this call does not retract too, if superseded
                kept = [j for j in range(i) if j not in retracting]
                if kept and versions[kept[-1]].status == SUPERSEDED:
                    before = versions[kept[-1]]
                    versions.append(Version(before.target, before.episodes - {episode}))
                    restored += 1
        self.episodes.discard(episode)
        return deleted, restored

    def relations_of(self, entity: str) -> set[str]:
        """The relations of the facts (any version) touching `entity`: those a merge of it
        dedupes."""
        return {
            f.relation
            for f in self.facts.values()
            if f.subject == entity or any(v.target == entity for v in f.versions)
        }

    def merge(self, keep: str, gone: str) -> int:
        """Move `gone`'s facts to `keep` (subject or object); returns how many current facts
        `merge_entities` must close (`merge_duplicates` over `gone`'s relations). The server's
        choice among a functional relation's values is applied with `close`."""
        relations = self.relations_of(gone)
        self.aliases = {a: keep if k == gone else k for a, k in self.aliases.items()}
        self.aliases[gone] = keep
        self.aliases.pop(keep, None)
        self.entities.discard(gone)
        for fact in self.facts.values():
            if fact.subject == gone:
                fact.subject = keep
            for v in fact.versions:
                if v.target == gone:
                    v.target = keep
        return len(self.merge_duplicates(keep, relations))

    def merge_duplicates(self, entity: str, relations: set[str]) -> list[str]:
        """Current facts of `relations` touching `entity` that a merge must close: of equal
        facts all but the first created; of a functional relation's distinct values all but
        one (here the first created: only their number is a prediction). Empty once a merge
        closed the right ones. (Equal facts of other relations, which explicit updates can
        make, stay: the merge moved none of that relation.)"""
        touching = [
            f
            for f in self.facts.values()
            if f.current is not None
            and f.relation in relations
            and entity in (f.subject, f.current.target)
        ]
        groups: dict[tuple[str, str, str], list[Fact]] = {}
        for f in sorted(touching, key=lambda f: f.order):
            assert f.current is not None
            groups.setdefault((f.subject, f.relation, f.current.target), []).append(f)
        closed = [f.id for same in groups.values() for f in same[1:]]
        survivors: dict[tuple[str, str], list[Fact]] = {}
        for (subject, relation, _), same in groups.items():
            if relation in self.functional:
                survivors.setdefault((subject, relation), []).append(same[0])
        closed += [f.id for values in survivors.values() for f in values[1:]]
        return closed

    def close(self, mids: list[str]) -> None:
        """The memories `merge_entities` closed (their current version superseded); one equal
        to a fact that stays current gives it its source episodes."""
        closing = [self.facts[mid] for mid in mids]
        staying = {
            (f.subject, f.relation, v.target): v
            for f in self.facts.values()
            if (v := f.current) is not None and f.id not in mids
        }
        for fact in closing:
            current = fact.current
            assert current is not None
            same = staying.get((fact.subject, fact.relation, current.target))
            if same is not None:
                same.episodes |= current.episodes
            current.status = SUPERSEDED

    def taint(self, mid: str, why: str) -> None:
        self.tainted.setdefault(mid, why)

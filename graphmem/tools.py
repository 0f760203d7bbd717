"""Agent tools: framework-neutral tool definitions (JSON schema + callables) over a memory.

Every memory tool an agent can be given is defined once here, in `TOOLS`: its name, a
description saying when to use it, its JSON schema and its body. Two front ends run them:

* `MemoryTools` binds a `Memory` (or an `AsyncMemory`) to one scope chosen by the
  application, never by the model: the tools' arguments hold no user id, so a model cannot
  read or write another user's memory. `definitions()` lists `search_memory`, `add_memory`
  and `get_entity` as ``{"name", "description", "parameters"}`` (JSON schema);
  `openai_tools()` wraps them for the OpenAI tools API; `call(name, arguments)` (or
  `await acall(...)` with an `AsyncMemory`) runs one and returns a JSON-serializable result.
* `graphmem.server.mcp` serves all of `TOOLS` over MCP, with the scope of each call resolved
  by the server's `ScopePolicy`.

A tool's body is a generator of `MemoryCall` requests (a public method name of `Memory` and
its arguments) that receives each call's answer and returns the tool's result, so it runs on
anything with `Memory`'s methods: `run_calls` drives it with a `Memory` (or the HTTP client,
which has the same method names), `arun_calls` with an `AsyncMemory`. An exception a call
raises is thrown back into the body at its `yield`, where the body may catch it.

The common loop is `recall(user_message)` before replying (a short text of the relevant
memories to put in the prompt) and `remember(user_message, reply)` after it.
`run_openai_turn` is a complete chat turn with the OpenAI Python client (any
OpenAI-compatible server): it sends the tools, runs the calls the model makes, and returns the
final answer.

>>> tools = MemoryTools(memory, user_id="alice")  # doctest: +SKIP
>>> tools.call("add_memory", {"text": "I moved to Berlin"})  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .checks import check_int
from .errors import GraphmemError, NotFoundError, ValidationError
from .ontology import relation_type_name
from .scope import Scope
from .store.drivers import adrive, drive

T = TypeVar("T")


# -- calls of the memory's public methods ----------------------------------------------------------


@dataclass(frozen=True)
class MemoryCall:
    """One call of a public `Memory` method, as a tool body asks for it."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


Calls = Generator[MemoryCall, Any, T]


def ask(method: str, *args: Any, **kwargs: Any) -> MemoryCall:
    """``result = yield ask("search", query, user_id=...)`` inside a tool body."""
    return MemoryCall(method, args, kwargs)


def run_calls(memory: Any, calls: Calls[T]) -> T:
    """Run a tool body against a memory with blocking methods (`Memory`, `MemoryClient`);
    an error a method raises is thrown back into the body, which may handle it."""
    return drive(calls, lambda step: getattr(memory, step.method)(*step.args, **step.kwargs))


async def arun_calls(memory: Any, calls: Calls[T]) -> T:
    """`run_calls` for a memory whose methods are coroutines (`AsyncMemory`)."""
    return await adrive(calls, lambda step: getattr(memory, step.method)(*step.args, **step.kwargs))


# -- what a tool body is given ---------------------------------------------------------------------


@dataclass(frozen=True)
class ToolContext:
    """The scope a tool call acts in, chosen by the application or the server, never the model.

    `ids` are the scope keyword arguments of the memory's methods; `check_visible(record,
    memory_id)` raises `NotFoundError` unless a memory (as `Memory.get` returns it, or None)
    lies in that scope. `limit` is search_memory's default; `speaker` names "I" in add_memory.
    """

    ids: dict[str, Any]
    check_visible: Callable[[dict[str, Any] | None, str], None]
    limit: int = 5
    speaker: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    """One memory tool: what a model is told about it, and its body."""

    name: str
    title: str
    description: str
    parameters: dict[str, Any]
    body: Callable[[dict[str, Any], ToolContext], Calls[dict[str, Any]]]
    read_only: bool = True
    destructive: bool = False
    idempotent: bool = True

    def definition(self) -> dict[str, Any]:
        """``{"name", "description", "parameters"}``, a copy the caller may change."""
        return copy.deepcopy(
            {"name": self.name, "description": self.description, "parameters": self.parameters}
        )


# -- argument checks (the MCP server also validates the JSON schema first) -------------------------


def _text(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key} must be a non-empty string")
    return value.strip()


def _optional_text(args: dict[str, Any], key: str) -> str | None:
    if args.get(key) is None:
        return None
    return _text(args, key)


def _int(args: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = args.get(key)
    return check_int(key, default if value is None else value, low, high)


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_TIME = (
    "an ISO 8601 date or datetime, e.g. 2024-05-01 or 2024-05-01T12:00:00Z (UTC when no "
    "offset is given)"
)
_MEMORY_ID = {
    "type": "string",
    "minLength": 1,
    "description": "the memory's id, as search_memory, get_memories or add_memory returned it",
}


# -- result shapes ---------------------------------------------------------------------------------


def _fact(f: dict[str, Any]) -> dict[str, Any]:
    """A fact as a model needs it (the library's full record has internal ids too)."""
    keys = ("id", "memory", "source", "relationship", "target", "status", "version")
    times = ("valid_from", "valid_to", "recorded_at")
    return {k: f.get(k) for k in (*keys, *times, "episode_ids", "metadata", "categories")}


def _event(e: dict[str, Any]) -> dict[str, Any]:
    return {"event": e.get("event"), "memory": e.get("memory"), "id": e.get("id")}


# -- the tools -------------------------------------------------------------------------------------


def _search_memory(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    query = _text(args, "query")
    limit = _int(args, "limit", ctx.limit, 1, 50)
    found = yield ask("search", query, **ctx.ids, limit=limit)
    return {
        "memories": [
            {
                "id": r.get("id"),
                "type": r.get("type"),  # "fact" (a memory id) or "episode" (a stored message)
                "memory": r.get("memory"),
                "score": round(float(r.get("score") or 0.0), 4),
                "valid_from": r.get("valid_from"),
                "valid_to": r.get("valid_to"),
            }
            for r in found.get("results", [])
        ]
    }


def _add_memory(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    text = _text(args, "text")
    message = {"role": "user", "content": text, "name": ctx.speaker}
    result = yield ask("add", message, **ctx.ids)
    answer: dict[str, Any] = {
        "stored": [_event(e) for e in result.get("results", [])],
        "episode_ids": [e.get("id") for e in result.get("episodes", [])],
    }
    if result.get("waiting"):  # the LLM was unreachable: the text is kept, facts come later
        answer["waiting_for_extraction"] = True
    return answer


def _get_entity(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    name = _text(args, "name")
    try:
        found = yield ask("neighbors", name, **ctx.ids, hops=1)
    except NotFoundError:
        return {"entity": None, "facts": [], "message": f"nothing is known about {name!r}"}
    entity = found.get("entity") or {}
    return {
        "entity": {"name": entity.get("name"), "type": entity.get("type")},
        "facts": [
            {
                "memory": f.get("memory"),
                "relationship": f.get("relationship"),
                "source": f.get("source"),
                "target": f.get("target"),
                "valid_from": f.get("valid_from"),
            }
            for f in found.get("results", [])
        ],
    }


def _get_memories(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    page = _int(args, "page", 1, 1, 1_000_000)
    page_size = _int(args, "page_size", 20, 1, 100)
    relationship = _optional_text(args, "relationship")
    category = _optional_text(args, "category")
    selected = {
        **({} if relationship is None else {"relationship": relation_type_name(relationship)}),
        **({} if category is None else {"categories": category}),
    }
    found = yield ask(
        "get_all",
        **ctx.ids,
        filters=selected or None,
        page=page,
        page_size=page_size,
        as_of=_optional_text(args, "as_of"),
        known_at=_optional_text(args, "known_at"),
    )
    return {"memories": [_fact(f) for f in found.get("results", [])], "page": page}


def _visible(ctx: ToolContext, memory_id: str) -> Calls[dict[str, Any]]:
    record = yield ask("get", memory_id)
    ctx.check_visible(record, memory_id)
    assert record is not None  # check_visible raises NotFoundError for None
    return dict(record)


def _get_memory(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    memory_id = _text(args, "memory_id")
    record = yield from _visible(ctx, memory_id)
    return {"memory": record}


_UPDATABLE = ("object", "subject", "relation", "fact", "valid_from", "valid_to")


def _update_memory(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    memory_id = _text(args, "memory_id")
    data = {k: _text(args, k) for k in _UPDATABLE if args.get(k) is not None}
    if not data:
        raise ValidationError(f"update_memory needs at least one of {', '.join(_UPDATABLE)}")
    yield from _visible(ctx, memory_id)
    result = yield ask("update", memory_id, data)
    updated = result["results"][0]
    return {
        "updated": {
            "id": updated.get("id"),
            "memory": updated.get("memory"),
            "previous_memory": updated.get("previous_memory"),
            "version": updated.get("version"),
        }
    }


def _delete_memory(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    memory_id = _text(args, "memory_id")
    yield from _visible(ctx, memory_id)
    result = yield ask("delete", memory_id)
    deleted = result["results"][0]
    return {"deleted": {"id": deleted.get("id"), "memory": deleted.get("memory")}}


def _delete_all_memories(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    if args.get("confirm") is not True:
        raise ValidationError("confirm must be true: delete_all_memories erases the whole scope")
    result = yield ask("delete_all", **ctx.ids)
    return {"message": result.get("message"), "deleted": result.get("deleted")}


def _memory_history(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    memory_id = _text(args, "memory_id")
    yield from _visible(ctx, memory_id)
    events = yield ask("history", memory_id)
    return {"memory_id": memory_id, "history": list(events)}


def _search_entities(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    query = _text(args, "query")
    limit = _int(args, "limit", 5, 1, 20)
    # search's entry points are exactly an entity search: names and aliases, the full-text
    # and the vector index, the entities of the best matching messages; no traversal.
    found = yield ask("search", query, **ctx.ids, limit=1, hops=0, include_episodes=False)
    return {"entities": list(found.get("entities", []))[:limit]}


def _neighbors(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    entity = _text(args, "entity")
    types = args.get("types")
    if types is not None and (
        not isinstance(types, list) or not all(isinstance(t, str) for t in types)
    ):
        raise ValidationError("types must be a list of relation type names")
    found = yield ask(
        "neighbors",
        entity,
        **ctx.ids,
        hops=_int(args, "hops", 1, 1, 3),
        types=types or None,
        as_of=_optional_text(args, "as_of"),
        limit=_int(args, "limit", 20, 1, 100),
    )
    return {
        "entity": found.get("entity"),
        "facts": [{**_fact(f), "hops": f.get("hops")} for f in found.get("results", [])],
        "entities": list(found.get("entities", [])),
    }


def _changes(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    since = _text(args, "since")
    found = yield ask(
        "changes",
        since=since,
        until=_optional_text(args, "until"),
        **ctx.ids,
        limit=_int(args, "limit", 100, 1, 500),
    )
    return {"changes": list(found.get("results", []))}


def _memory_feedback(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    memory_id = _text(args, "memory_id")
    kind = _text(args, "feedback")
    yield from _visible(ctx, memory_id)
    result = yield ask("feedback", memory_id, kind, _optional_text(args, "reason"))
    return {
        "message": result.get("message"),
        "feedback": result.get("feedback"),
        "events": [
            {"event": e.get("event"), "id": e.get("id"), "memory": e.get("memory")}
            for e in result.get("results", [])
        ],
    }


def _forget_episode(args: dict[str, Any], ctx: ToolContext) -> Calls[dict[str, Any]]:
    episode_id = _text(args, "episode_id")
    result = yield ask("forget_episode", episode_id, **ctx.ids)
    return {
        "message": result.get("message"),
        "events": [
            {"event": e.get("event"), "id": e.get("id"), "memory": e.get("memory")}
            for e in result.get("results", [])
        ],
    }


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec(
            "add_memory",
            "Add memory",
            "Store something the user said that is worth remembering (facts about them, their "
            "people, places, work, preferences). Write it as the user said it, in first person. "
            "Returns the facts it learned (ADD, UPDATE of a changed fact, NOOP for a repeat).",
            _schema(
                {
                    "text": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the statement to remember",
                    }
                },
                ["text"],
            ),
            _add_memory,
            read_only=False,
            idempotent=False,
        ),
        ToolSpec(
            "search_memory",
            "Search memory",
            "Search the long-term memory about the user for facts relevant to a question. Use it "
            "before answering anything that may depend on what the user told you earlier.",
            _schema(
                {
                    "query": {
                        "type": "string",
                        "minLength": 1,
                        "description": "what to look for, in plain words",
                    },
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 50,
                        "description": "how many memories to return (default 5)",
                    },
                },
                ["query"],
            ),
            _search_memory,
        ),
        ToolSpec(
            "get_memories",
            "List memories",
            "List the current facts in memory, newest first, one page at a time. Use it to "
            "review everything known (or every fact of one relationship or category), not to "
            "answer a question: search_memory does that. With as_of: what was true at that time.",
            _schema(
                {
                    "page": {"type": "integer", "minimum": 1, "description": "page (default 1)"},
                    "page_size": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 100,
                        "description": "facts per page (default 20)",
                    },
                    "relationship": {
                        "type": "string",
                        "minLength": 1,
                        "description": "only facts of this relationship, e.g. WORKS_AT, LIVES_IN",
                    },
                    "category": {
                        "type": "string",
                        "minLength": 1,
                        "description": "only facts of this category, e.g. work, family, food",
                    },
                    "as_of": {
                        "type": "string",
                        "minLength": 1,
                        "description": f"the facts true in the world at this time: {_TIME}",
                    },
                    "known_at": {
                        "type": "string",
                        "minLength": 1,
                        "description": f"the facts the memory held as current then: {_TIME}",
                    },
                },
                [],
            ),
            _get_memories,
        ),
        ToolSpec(
            "get_memory",
            "Get memory",
            "Read one memory (a fact) by its id: its text, subject, relationship, object, "
            "status (current, superseded, deleted...), version and validity times.",
            _schema({"memory_id": _MEMORY_ID}, ["memory_id"]),
            _get_memory,
        ),
        ToolSpec(
            "update_memory",
            "Update memory",
            "Correct a memory: writes its next version (the old one stays in its history). Give "
            "the memory id and what changed, usually the new object, e.g. a new city for "
            "'lives in'. Use add_memory instead when the user simply tells you something new.",
            _schema(
                {
                    "memory_id": _MEMORY_ID,
                    "object": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the new object (value) of the fact, e.g. 'Globex'",
                    },
                    "subject": {"type": "string", "minLength": 1, "description": "new subject"},
                    "relation": {
                        "type": "string",
                        "minLength": 1,
                        "description": "new relationship, e.g. WORKS_AT or 'works at'",
                    },
                    "fact": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the fact's sentence, when the default wording is wrong",
                    },
                    "valid_from": {
                        "type": "string",
                        "minLength": 1,
                        "description": f"since when the new version is true: {_TIME}",
                    },
                    "valid_to": {
                        "type": "string",
                        "minLength": 1,
                        "description": f"until when it is true: {_TIME}",
                    },
                },
                ["memory_id"],
            ),
            _update_memory,
            read_only=False,
            idempotent=False,
        ),
        ToolSpec(
            "delete_memory",
            "Delete memory",
            "Delete one memory by id when the user says it is wrong or asks to forget it. It "
            "is closed as deleted and stays in its history.",
            _schema({"memory_id": _MEMORY_ID}, ["memory_id"]),
            _delete_memory,
            read_only=False,
            destructive=True,
        ),
        ToolSpec(
            "delete_all_memories",
            "Delete all memories",
            "Erase every memory of this user (facts, messages, entities). Only when the user "
            "explicitly asks to forget everything; it cannot be undone.",
            _schema(
                {
                    "confirm": {
                        "type": "boolean",
                        "const": True,
                        "description": "must be true: confirms erasing everything",
                    }
                },
                ["confirm"],
            ),
            _delete_all_memories,
            read_only=False,
            destructive=True,
        ),
        ToolSpec(
            "memory_history",
            "Memory history",
            "Every change of one memory, oldest first: ADD, each UPDATE with the old and the "
            "new value and when, DELETE. Use it for questions like 'where did I work before?'.",
            _schema({"memory_id": _MEMORY_ID}, ["memory_id"]),
            _memory_history,
        ),
        ToolSpec(
            "search_entities",
            "Search entities",
            "Find the people, places, organizations and things in memory whose name or meaning "
            "matches a text (exact names and aliases first, then similar ones). Use it to find "
            "the exact name to pass to get_entity or neighbors.",
            _schema(
                {
                    "query": {
                        "type": "string",
                        "minLength": 1,
                        "description": "a name or a description, e.g. 'Acme' or 'my employer'",
                    },
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 20,
                        "description": "how many entities at most (default 5)",
                    },
                },
                ["query"],
            ),
            _search_entities,
        ),
        ToolSpec(
            "get_entity",
            "Get entity",
            "Everything the memory currently knows about one person, place, organization or "
            "thing, by name: its facts and the entities directly related to it.",
            _schema(
                {"name": {"type": "string", "minLength": 1, "description": "the entity's name"}},
                ["name"],
            ),
            _get_entity,
        ),
        ToolSpec(
            "neighbors",
            "Neighbors",
            "The facts around one entity, up to a few hops away in the graph (e.g. hops=2 from "
            "Alice reaches her employer's other employees), optionally only some relationships. "
            "Use get_entity for the direct facts only.",
            _schema(
                {
                    "entity": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the entity's name, e.g. 'Alice'",
                    },
                    "hops": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 3,
                        "description": "how far to go (default 1)",
                    },
                    "types": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "maxItems": 20,
                        "description": "only these relationships, e.g. ['WORKS_AT', 'WORKS_WITH']",
                    },
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 100,
                        "description": "how many facts at most (default 20)",
                    },
                    "as_of": {
                        "type": "string",
                        "minLength": 1,
                        "description": f"the facts true at this time: {_TIME}",
                    },
                },
                ["entity"],
            ),
            _neighbors,
        ),
        ToolSpec(
            "changes",
            "Changes",
            "What the memory learned, changed and deleted in a time window, oldest first "
            "(ADD, UPDATE, DELETE and FEEDBACK events). Use it for 'what changed since last "
            "week?'.",
            _schema(
                {
                    "since": {
                        "type": "string",
                        "minLength": 1,
                        "description": f"start of the window (inclusive): {_TIME}",
                    },
                    "until": {
                        "type": "string",
                        "minLength": 1,
                        "description": f"end of the window (exclusive; default now): {_TIME}",
                    },
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 500,
                        "description": "how many events at most (default 100)",
                    },
                },
                ["since"],
            ),
            _changes,
        ),
        ToolSpec(
            "memory_feedback",
            "Give feedback on a memory",
            "Tell the memory whether one of its facts (by memory_id) is right. POSITIVE ranks "
            "it higher; NEGATIVE ranks it lower; VERY_NEGATIVE retracts it and restores what it "
            "had replaced. A relation and object marked wrong twice is not learned again from "
            "conversation. Use it when the user confirms or corrects something you recalled.",
            _schema(
                {
                    "memory_id": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the memory's id, as search_memory or get_memories give",
                    },
                    "feedback": {
                        "type": "string",
                        "enum": ["POSITIVE", "NEGATIVE", "VERY_NEGATIVE"],
                        "description": "POSITIVE (right), NEGATIVE (wrong), VERY_NEGATIVE "
                        "(wrong: retract it)",
                    },
                    "reason": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 2000,
                        "description": "why, in a few words (kept with the feedback)",
                    },
                },
                ["memory_id", "feedback"],
            ),
            _memory_feedback,
            read_only=False,
            idempotent=False,
        ),
        ToolSpec(
            "forget_episode",
            "Forget message",
            "Forget one stored message (an episode, by the id add_memory returned in "
            "episode_ids): deletes it and retracts exactly the facts only it taught, restoring "
            "what they had replaced.",
            _schema(
                {
                    "episode_id": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the message's episode id",
                    }
                },
                ["episode_id"],
            ),
            _forget_episode,
            read_only=False,
            destructive=True,
        ),
    )
}

SEARCH_MEMORY = TOOLS["search_memory"].definition()
ADD_MEMORY = TOOLS["add_memory"].definition()
GET_ENTITY = TOOLS["get_entity"].definition()
# The tools `MemoryTools` offers (the in-app loop: the scope is fixed by the application).
DEFINITIONS = (SEARCH_MEMORY, ADD_MEMORY, GET_ENTITY)
_OFFERED = tuple(d["name"] for d in DEFINITIONS)


class MemoryTools:
    """The memory tools of one scope, over a `Memory` (`call`) or an `AsyncMemory` (`acall`)."""

    def __init__(
        self,
        memory: Any,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 5,
        speaker: str | None = None,
    ) -> None:
        self.memory = memory
        self.scope = Scope.of(user_id, agent_id, run_id)
        self.limit = limit
        self.speaker = speaker

    # -- definitions ---------------------------------------------------------------------------

    @staticmethod
    def definitions() -> list[dict[str, Any]]:
        """The tools as ``{"name", "description", "parameters"}`` (JSON schema)."""
        return [copy.deepcopy(d) for d in DEFINITIONS]

    @classmethod
    def openai_tools(cls) -> list[dict[str, Any]]:
        """The tools in the OpenAI Chat Completions `tools=` shape."""
        return [{"type": "function", "function": d} for d in cls.definitions()]

    # -- calling -------------------------------------------------------------------------------

    def call(self, name: str, arguments: str | dict[str, Any] | None = None) -> Any:
        """Run one tool with a `Memory`. Bad arguments and unknown names give an
        ``{"error": ...}`` result the model can read, instead of an exception."""
        try:
            return run_calls(self.memory, self._calls(name, arguments))
        except GraphmemError as exc:
            return {"error": str(exc)}

    async def acall(self, name: str, arguments: str | dict[str, Any] | None = None) -> Any:
        """`call` for an `AsyncMemory`."""
        try:
            return await arun_calls(self.memory, self._calls(name, arguments))
        except GraphmemError as exc:
            return {"error": str(exc)}

    def search_memory(self, query: str, limit: int | None = None) -> Any:
        """The `search_memory` tool as a plain method."""
        return self.call("search_memory", {"query": query, "limit": limit or self.limit})

    def add_memory(self, text: str) -> Any:
        """The `add_memory` tool as a plain method."""
        return self.call("add_memory", {"text": text})

    def get_entity(self, name: str) -> Any:
        """The `get_entity` tool as a plain method."""
        return self.call("get_entity", {"name": name})

    # -- the common loop -----------------------------------------------------------------------

    def recall(self, message: str, limit: int | None = None) -> str:
        """Before replying: the memories relevant to `message` as lines for the prompt."""
        found = self.call("search_memory", {"query": message, "limit": limit or self.limit})
        return format_memories(found)

    def remember(self, user_message: str, reply: str | None = None) -> Any:
        """After replying: store the user's message (and the reply, for context) and return
        the fact events."""
        return run_calls(self.memory, self._remember(user_message, reply))

    async def arecall(self, message: str, limit: int | None = None) -> str:
        """`recall` for an `AsyncMemory`."""
        found = await self.acall("search_memory", {"query": message, "limit": limit or self.limit})
        return format_memories(found)

    async def aremember(self, user_message: str, reply: str | None = None) -> Any:
        """`remember` for an `AsyncMemory`."""
        return await arun_calls(self.memory, self._remember(user_message, reply))

    # -- the tools, from `TOOLS` ---------------------------------------------------------------

    def _context(self) -> ToolContext:
        ids = self.scope.ids()

        def check_visible(record: dict[str, Any] | None, memory_id: str) -> None:
            from .server.scoping import ScopePolicy  # the same rule as the servers'

            ScopePolicy(allow_user_id=True).check_visible(record, memory_id, **ids)

        return ToolContext(ids, check_visible, limit=self.limit, speaker=self.speaker)

    def _remember(self, user_message: str, reply: str | None) -> Calls[dict[str, Any]]:
        messages = [{"role": "user", "content": user_message, "name": self.speaker}]
        if reply:
            messages.append({"role": "assistant", "content": reply})
        result: dict[str, Any] = yield ask("add", messages, **self.scope.ids())
        return result

    def _calls(self, name: str, arguments: str | dict[str, Any] | None) -> Calls[Any]:
        args = _arguments(name, arguments)
        if name not in _OFFERED:
            raise ValidationError(
                f"unknown tool {name!r}; the memory tools are {', '.join(_OFFERED)}"
            )
        return TOOLS[name].body(args, self._context())


def format_memories(found: Any) -> str:
    """A `search_memory` result as prompt lines ('' when nothing was found)."""
    if not isinstance(found, dict):
        return ""
    return "\n".join(
        f"- {m['memory']}" + (f" (since {m['valid_from'][:10]})" if m.get("valid_from") else "")
        for m in found.get("memories", [])
        if m.get("memory")
    )


def _arguments(name: str, arguments: str | dict[str, Any] | None) -> dict[str, Any]:
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{name}: arguments are not valid JSON: {exc}") from exc
    if not isinstance(arguments, dict):
        raise ValidationError(f"{name}: arguments must be a JSON object")
    return arguments


def run_openai_turn(
    client: Any,
    model: str,
    tools: MemoryTools,
    messages: list[dict[str, Any]],
    *,
    max_rounds: int = 4,
    remember: bool = True,
) -> str:
    """One chat turn with memory through the OpenAI tools API.

    Recalls memories for the last user message into a system message, lets the model call the
    memory tools (each call answered with a `tool` message), and returns its final text. With
    `remember=True` the user's message and the answer are stored afterwards. `messages` is
    extended in place with the turn.
    """
    user_text = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), None)
    if user_text:
        memories = tools.recall(user_text)
        if memories:
            messages.insert(
                len(messages) - 1,
                {"role": "system", "content": "What you remember about the user:\n" + memories},
            )
    answer = ""
    for _ in range(max_rounds):
        response = client.chat.completions.create(
            model=model, messages=messages, tools=tools.openai_tools()
        )
        reply = response.choices[0].message
        calls = reply.tool_calls or []
        messages.append(
            {
                "role": "assistant",
                "content": reply.content,
                **(
                    {
                        "tool_calls": [
                            {
                                "id": c.id,
                                "type": "function",
                                "function": {
                                    "name": c.function.name,
                                    "arguments": c.function.arguments,
                                },
                            }
                            for c in calls
                        ]
                    }
                    if calls
                    else {}
                ),
            }
        )
        if not calls:
            answer = reply.content or ""
            break
        for c in calls:
            result = tools.call(c.function.name, c.function.arguments)
            messages.append({"role": "tool", "tool_call_id": c.id, "content": json.dumps(result)})
    if remember and user_text:
        tools.remember(user_text, answer or None)
    return answer

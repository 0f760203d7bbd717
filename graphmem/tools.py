"""Agent tools: framework-neutral tool definitions (JSON schema + callables) over a memory.

`MemoryTools` binds a `Memory` (or an `AsyncMemory`) to one scope chosen by the application,
never by the model: the tools' arguments hold no user id, so a model cannot read or write
another user's memory. `definitions()` lists `search_memory`, `add_memory` and `get_entity`
as ``{"name", "description", "parameters"}`` (JSON schema); `openai_tools()` wraps them for the
OpenAI tools API; `call(name, arguments)` (or `await acall(...)` with an `AsyncMemory`) runs
one and returns a JSON-serializable result.

The common loop is `recall(user_message)` before replying (a short text of the relevant
memories to put in the prompt) and `remember(user_message, reply)` after it. Each tool is
written once as an operation's steps (`graphmem.effects`), run by the memory's own driver
(`Memory.run` / `AsyncMemory.run`). `run_openai_turn` is a complete chat turn with the OpenAI
Python client (any OpenAI-compatible server): it sends the tools, runs the calls the model
makes, and returns the final answer.

>>> tools = MemoryTools(memory, user_id="alice")  # doctest: +SKIP
>>> tools.call("add_memory", {"text": "I moved to Berlin"})  # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Any

from . import search, writes
from .checks import check_int
from .effects import Steps
from .errors import GraphmemError, NotFoundError, ValidationError
from .scope import Scope

SEARCH_MEMORY = {
    "name": "search_memory",
    "description": (
        "Search the long-term memory about the user for facts relevant to a question. Use it "
        "before answering anything that may depend on what the user told you earlier."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "what to look for, in plain words"},
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 50,
                "description": "how many memories to return (default 5)",
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    },
}
ADD_MEMORY = {
    "name": "add_memory",
    "description": (
        "Store something the user said that is worth remembering (facts about them, their "
        "people, places, work, preferences). Write it as the user said it, in first person."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "the statement to remember"},
        },
        "required": ["text"],
        "additionalProperties": False,
    },
}
GET_ENTITY = {
    "name": "get_entity",
    "description": (
        "Everything the memory currently knows about one person, place, organization or "
        "thing, by name: its facts and the entities directly related to it."
    ),
    "parameters": {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "the entity's name"}},
        "required": ["name"],
        "additionalProperties": False,
    },
}
DEFINITIONS = (SEARCH_MEMORY, ADD_MEMORY, GET_ENTITY)


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
        return [json.loads(json.dumps(d)) for d in DEFINITIONS]

    @classmethod
    def openai_tools(cls) -> list[dict[str, Any]]:
        """The tools in the OpenAI Chat Completions `tools=` shape."""
        return [{"type": "function", "function": d} for d in cls.definitions()]

    # -- calling -------------------------------------------------------------------------------

    def call(self, name: str, arguments: str | dict[str, Any] | None = None) -> Any:
        """Run one tool with a `Memory`. Bad arguments and unknown names give an
        ``{"error": ...}`` result the model can read, instead of an exception."""
        try:
            return self.memory.run(self._steps(name, arguments))
        except GraphmemError as exc:
            return {"error": str(exc)}

    async def acall(self, name: str, arguments: str | dict[str, Any] | None = None) -> Any:
        """`call` for an `AsyncMemory`."""
        try:
            return await self.memory.run(self._steps(name, arguments))
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
        return self.memory.run(self._remember(user_message, reply))

    async def arecall(self, message: str, limit: int | None = None) -> str:
        """`recall` for an `AsyncMemory`."""
        found = await self.acall("search_memory", {"query": message, "limit": limit or self.limit})
        return format_memories(found)

    async def aremember(self, user_message: str, reply: str | None = None) -> Any:
        """`remember` for an `AsyncMemory`."""
        return await self.memory.run(self._remember(user_message, reply))

    # -- the tools, written once as steps ------------------------------------------------------

    def _remember(self, user_message: str, reply: str | None) -> Steps[dict[str, Any]]:
        messages = [{"role": "user", "content": user_message, "name": self.speaker}]
        if reply:
            messages.append({"role": "assistant", "content": reply})
        return (yield from writes.add(self.memory.context, messages, **self.scope.ids()))

    def _steps(self, name: str, arguments: str | dict[str, Any] | None) -> Steps[Any]:
        args = _arguments(name, arguments)
        if name == "search_memory":
            return self._search(args)
        if name == "add_memory":
            return self._add(args)
        if name == "get_entity":
            return self._entity(args)
        raise ValidationError(
            f"unknown tool {name!r}; the memory tools are search_memory, add_memory, get_entity"
        )

    def _search(self, args: dict[str, Any]) -> Steps[dict[str, Any]]:
        query = _text(args, "query")
        limit = check_int("limit", args.get("limit", self.limit), 1, 50)
        found = yield from search.search(
            self.memory.context, query, **self.scope.ids(), limit=limit
        )
        return {
            "memories": [
                {
                    "id": r.get("id"),
                    "memory": r.get("memory"),
                    "score": round(float(r.get("score") or 0.0), 4),
                    "valid_from": r.get("valid_from"),
                    "valid_to": r.get("valid_to"),
                }
                for r in found.get("results", [])
            ]
        }

    def _add(self, args: dict[str, Any]) -> Steps[dict[str, Any]]:
        text = _text(args, "text")
        message = {"role": "user", "content": text, "name": self.speaker}
        result = yield from writes.add(self.memory.context, message, **self.scope.ids())
        return {
            "stored": [
                {"event": e.get("event"), "memory": e.get("memory"), "id": e.get("id")}
                for e in result.get("results", [])
            ]
        }

    def _entity(self, args: dict[str, Any]) -> Steps[dict[str, Any]]:
        name = _text(args, "name")
        try:
            found = yield from search.neighbors(
                self.memory.context, name, **self.scope.ids(), hops=1
            )
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


def _text(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{key} must be a non-empty string")
    return value.strip()


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

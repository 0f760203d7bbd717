"""The request models of the REST routes: JSON bodies and query strings, mem0-shaped.

Every model refuses unknown keys, and any number that is not finite or text that is not
valid Unicode (a lone surrogate) anywhere in it, so the store never sees them (422). Types
are checked here; values (ranges, names, times) are checked by the `Memory` operation itself
(400), and an option left out (or null) takes that operation's default.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from ..checks import BATCH_MAX

# A time: ISO 8601 text, or epoch seconds in a JSON body.
Time = Annotated[str | StrictInt | StrictFloat, Field(description="ISO 8601 time or epoch s")]
SCOPE_KEYS = ("user_id", "agent_id", "run_id")


def check_json(value: Any) -> None:
    """Raise ValueError if `value` holds a non-finite number or a string that is not valid
    Unicode, at any depth (keys included)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text must be valid Unicode (no lone surrogates)") from None
        elif isinstance(item, dict):
            todo.extend(item)
            todo.extend(item.values())
        elif isinstance(item, list | tuple):
            todo.extend(item)


class Payload(BaseModel):
    """A request model: unknown keys refused, JSON values checked by `check_json`."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _finite_unicode(cls, data: Any) -> Any:
        check_json(data)
        return data

    def options(self, *positional: str) -> dict[str, Any]:
        """The fields given (not null) as keyword arguments, without the scope ids and
        without `positional` (the fields passed by position)."""
        return self.model_dump(exclude_none=True, exclude={*SCOPE_KEYS, *positional})


class Scoped(Payload):
    """A request that names its scope; the server's `ScopePolicy` decides what it reaches."""

    user_id: str | None = Field(None, description="user id (the owner namespace)")
    agent_id: str | None = Field(None, description="agent id")
    run_id: str | None = Field(None, description="run / session id")

    def ids(self) -> dict[str, Any]:
        """The scope ids as given (for `ScopePolicy.resolve` / `check_visible`)."""
        return {key: getattr(self, key) for key in SCOPE_KEYS}


class Message(Payload):
    """One message of a conversation."""

    role: str = Field("user", description="user, assistant, ...")
    content: str | dict[str, Any] | list[dict[str, Any]] = Field(
        description="the text, or content parts: text, image_url, pdf_url, mdx_url"
    )
    name: str | None = Field(None, description="who speaks ('I' resolves to this name)")


class MemoryCreate(Scoped):
    """`POST /memories` (mem0's `MemoryCreate`): `Memory.add`."""

    messages: str | list[Message] = Field(description="the messages to store, or one text")
    metadata: dict[str, Any] | None = None
    infer: bool | None = Field(None, description="false: store the messages only")
    timestamp: Time | None = None
    custom_categories: dict[str, str] | None = Field(
        None, description="this call's category taxonomy {name: description}"
    )


class RelationCreate(Scoped):
    """`POST /relations`: `Memory.add_relation`, a fact you extracted."""

    subject: str
    relation: str = Field(description="WORKS_AT, 'works at', ...")
    object: str
    valid_from: Time | None = None
    valid_to: Time | None = None
    metadata: dict[str, Any] | None = None
    source: str | None = Field(None, description="episode id or text the fact came from")
    subject_type: str | None = None
    object_type: str | None = None
    confidence: StrictFloat | StrictInt | None = None
    expiration_date: Time | None = None
    immutable: bool | None = None


class UpdateFields(Payload):
    """The parts of a fact an update changes."""

    subject: str | None = None
    relation: str | None = None
    object: str | None = None
    valid_from: Time | None = None
    valid_to: Time | None = None
    fact: str | None = Field(None, description="the fact's text")


class MemoryUpdate(Payload):
    """`PUT /memories/{id}`: `Memory.update`."""

    data: str | UpdateFields = Field(description="the new object, or the parts that change")
    metadata: dict[str, Any] | None = Field(None, description="replaces the metadata")


class FeedbackCreate(Payload):
    """`POST /memories/{id}/feedback`: `Memory.feedback`."""

    feedback: str = Field(
        description="POSITIVE, NEGATIVE or VERY_NEGATIVE (which also retracts the memory's "
        "current version)"
    )
    reason: str | None = Field(None, description="why (kept with the feedback)")
    by: str | None = Field(None, description="who gives it (kept with the feedback)")


class WebhookCreate(Scoped):
    """`POST /webhooks`: `Memory.create_webhook` for the caller's scope."""

    url: str = Field(description="http(s) URL each event is POSTed to")
    event_types: list[str] | None = Field(
        None,
        description="memory_add, memory_update, memory_delete, memory_feedback (null: all)",
    )
    name: str | None = None
    secret: str | None = Field(None, description="signing secret (16-256 characters); null: made")


class WebhookUpdate(Payload):
    """`PUT /webhooks/{id}`: `Memory.update_webhook`; what is left out stays."""

    url: str | None = None
    event_types: list[str] | None = None
    name: str | None = None
    active: bool | None = Field(None, description="false pauses it (nothing queued or sent)")
    secret: str | None = Field(None, description="a new signing secret")


class SearchRequest(Scoped):
    """`POST /search` (mem0's `SearchRequest`): `Memory.search`."""

    query: str
    limit: int | None = None
    threshold: float | None = Field(None, description="minimum score in [0, 1]")
    filters: dict[str, Any] | None = None
    as_of: Time | None = Field(None, description="answer with what was true then")
    hops: int | None = None
    include_history: bool | None = None
    include_episodes: bool | None = None
    explain: bool | None = None


class CypherRequest(Scoped):
    """`POST /query`: `Memory.query`, read-only Cypher over the whole database."""

    cypher: str
    params: dict[str, Any] | None = None


class ExportRequest(Scoped):
    """`POST /export`: `Memory.export` of the scope, returned as JSON data."""

    include_embeddings: bool | None = None


# -- query strings -----------------------------------------------------------------------------


class BatchUpdateItem(Payload):
    """One memory of `PUT /batch`: its id, and what `PUT /memories/{id}` takes."""

    memory_id: str
    data: str | UpdateFields = Field(description="the new object, or the parts that change")
    metadata: dict[str, Any] | None = None


class BatchUpdate(Payload):
    """`PUT /batch`: `Memory.batch_update`, one transaction, all or nothing (the scope ids
    in the query string, as for `PUT /memories/{id}`)."""

    memories: list[BatchUpdateItem] = Field(min_length=1, max_length=BATCH_MAX)


class BatchDeleteItem(Payload):
    """One memory of `DELETE /batch`."""

    memory_id: str


class BatchDelete(Payload):
    """`DELETE /batch`: `Memory.batch_delete`, one transaction, all or nothing (the scope ids
    in the query string)."""

    memories: list[BatchDeleteItem] = Field(min_length=1, max_length=BATCH_MAX)


class ScopeQuery(Scoped):
    """The scope ids of a call in its query string."""


class ListQuery(Scoped):
    """`GET /memories`: `Memory.get_all`."""

    filters: str | None = Field(None, description="a filter as JSON text")
    page: int | None = None
    page_size: int | None = None
    as_of: str | None = Field(None, description="what was true in the world then")
    known_at: str | None = Field(None, description="what the memory held then")


class HistoryQuery(ScopeQuery):
    """`GET /memories/{id}/history`: `Memory.history`."""

    sources: bool | None = Field(None, description="with the episodes that taught each version")


class NeighborsQuery(Scoped):
    """`GET /entities/{name}/neighbors`: `Memory.neighbors`."""

    hops: int | None = None
    types: list[str] | None = Field(None, description="relation types to follow")
    as_of: str | None = None
    include_history: bool | None = None
    limit: int | None = None


class ChangesQuery(Scoped):
    """`GET /changes`: `Memory.changes`."""

    since: str
    until: str | None = None
    limit: int | None = None

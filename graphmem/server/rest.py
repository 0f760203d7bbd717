"""The REST API: `create_app(memory, policy, config)`, a FastAPI app over one `Memory`.

Memory routes, shaped like mem0's REST server::

    POST   /memories                  add (mem0 MemoryCreate: messages, user_id, ..., metadata)
    GET    /memories                  get_all (user_id, agent_id, run_id, page, page_size,
                                      filters as JSON text, as_of, known_at)
    DELETE /memories                  delete_all: erase the scope
    GET    /memories/{id}             get
    PUT    /memories/{id}             update ({"data": ..., "metadata": ...})
    DELETE /memories/{id}             delete
    GET    /memories/{id}/history     history (sources=true: with the episodes that taught
                                      each version)
    POST   /memories/{id}/feedback    feedback ({"feedback": "POSITIVE" | "NEGATIVE" |
                                      "VERY_NEGATIVE", "reason": ..., "by": ...})
    DELETE /documents/{id}            forget_document: what a document's episodes alone taught
    POST   /search                    search (mem0 SearchRequest: query, ..., filters, limit...)
    POST   /reset                     reset: every scope's data (servers for all scopes only)

Webhook routes (`graphmem.webhooks`; the server delivers their events in the background)::

    POST   /webhooks                  create_webhook for the caller's scope (url, event_types,
                                      name, secret); the answer holds the signing secret
    GET    /webhooks                  the scope's webhooks, with pending and failed counts
    GET    /webhooks/{id}             one webhook
    PUT    /webhooks/{id}             update_webhook (url, event_types, name, active, secret)
    DELETE /webhooks/{id}             delete_webhook, with the deliveries queued for it

Graph routes::

    POST   /relations                 add_relation (subject, relation, object, ...)
    GET    /entities/{name}           what the memory knows about one entity: its facts and
                                      the entities they reach (neighbors, one hop)
    GET    /entities/{name}/neighbors neighbors (hops, types, as_of, include_history, limit)
    GET    /changes                   changes (since, until, limit)
    POST   /query                     query: read-only Cypher (servers for all scopes only)
    POST   /export                    export of the scope, as JSON data
    GET    /health                    {"status", "version", "store", "pid"}; no token needed

The web inspector (`graphmem.server.inspector`) is served at `/ui`, a page over these routes.
OpenAPI docs at `/docs` (schema `/openapi.json`). Every call's scope is resolved by the
server's `ScopePolicy`; a route that takes a memory id (with the scope ids in its query
string) checks that the memory is in that scope before acting, and answers 404 for
another scope's id as for an unknown one. Errors are JSON, see `graphmem.server.failures`
(a Cypher statement the engine refuses is a ValidationError, 400).
The routes calling the blocking `Memory` are plain functions: FastAPI runs them in its thread
pool. The MCP tools (`graphmem.server.mcp`) are served at `/mcp` (streamable HTTP) behind the
same token gate, their session manager running for the app's lifetime.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query

from .. import __version__
from ..config import MemoryConfig
from ..errors import NotFoundError, StoreError, ValidationError
from ..webhooks.delivery import delivering
from . import failures, inspector
from .auth import Gate, server_token
from .backlog import reprocessing
from .payloads import (
    BatchDelete,
    BatchUpdate,
    ChangesQuery,
    CypherRequest,
    ExportRequest,
    FeedbackCreate,
    HistoryQuery,
    ListQuery,
    MemoryCreate,
    MemoryUpdate,
    NeighborsQuery,
    RelationCreate,
    ScopeQuery,
    SearchRequest,
    WebhookCreate,
    WebhookUpdate,
    check_json,
)
from .runfile import store_kind
from .scoping import ScopePolicy

if TYPE_CHECKING:
    from ..memory import Memory


def create_app(
    memory: Memory,
    policy: ScopePolicy,
    config: MemoryConfig,
) -> FastAPI:
    """The app serving `memory` under `policy`, behind the token and body-size gate of
    `config.server` (see the module docstring)."""
    from .mcp import build_server, mount

    mcp = mount(build_server(memory, policy), host=config.server.host)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            mcp.lifespan(),
            reprocessing(memory, config),
            delivering(memory, config) as deliverer,
        ):
            app.state.deliverer = deliverer
            yield

    app = FastAPI(
        title="graphmem",
        version=__version__,
        description=(
            "A graph-first, versioned knowledge memory. Send `Authorization: Bearer <token>` "
            "(the token file is in the server's home folder) on every route but /health."
        ),
        lifespan=lifespan,
    )
    failures.install(app)
    _memory_routes(app, memory, policy)
    _graph_routes(app, memory, policy, store=store_kind(config))
    _webhook_routes(app, memory, policy)
    inspector.add_routes(app, policy)
    app.router.routes.append(mcp.route("/mcp"))
    app.add_middleware(WakeOnWrite)
    app.add_middleware(
        Gate, token=server_token(config), max_body_bytes=config.server.max_body_bytes
    )
    return app


class WakeOnWrite:
    """ASGI middleware: after each request that may have written (not GET, HEAD or
    OPTIONS), wake the app's webhook deliverer, so its events go out at once."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            deliverer = getattr(scope["app"].state, "deliverer", None)
            if deliverer is not None:
                deliverer.wake()


def _memory_routes(app: FastAPI, memory: Memory, policy: ScopePolicy) -> None:
    """The mem0-shaped routes."""

    def visible(memory_id: str, q: ScopeQuery) -> dict[str, Any]:
        record = memory.get(memory_id)
        policy.check_visible(record, memory_id, **q.ids())
        assert record is not None
        return record

    def all_visible(memory_ids: list[str], q: ScopeQuery) -> None:
        for i, memory_id in enumerate(memory_ids):
            try:
                visible(memory_id, q)
            except NotFoundError as exc:
                raise NotFoundError(f"item {i} ({memory_id!r}): {exc}") from exc

    @app.post("/memories", tags=["memories"], summary="Store messages and their facts")
    def add(body: MemoryCreate) -> Any:
        return memory.add(**policy.resolve(**body.ids()), **body.options())

    @app.get("/memories", tags=["memories"], summary="The scope's current facts")
    def get_all(q: Annotated[ListQuery, Query()]) -> Any:
        options = q.options()
        if "filters" in options:
            options["filters"] = _filters(options["filters"])
        return memory.get_all(**policy.resolve(**q.ids()), **options)

    @app.delete("/memories", tags=["memories"], summary="Erase the scope's memories")
    def delete_all(q: Annotated[ScopeQuery, Query()]) -> Any:
        return memory.delete_all(**policy.resolve(**q.ids()))

    @app.get("/memories/{memory_id}", tags=["memories"], summary="One memory")
    def get(memory_id: str, q: Annotated[ScopeQuery, Query()]) -> Any:
        return visible(memory_id, q)

    @app.put("/memories/{memory_id}", tags=["memories"], summary="The next version of a fact")
    def update(memory_id: str, body: MemoryUpdate, q: Annotated[ScopeQuery, Query()]) -> Any:
        visible(memory_id, q)
        return memory.update(memory_id, **body.options())

    @app.delete("/memories/{memory_id}", tags=["memories"], summary="Close a memory")
    def delete(memory_id: str, q: Annotated[ScopeQuery, Query()]) -> Any:
        visible(memory_id, q)
        return memory.delete(memory_id)

    @app.put("/batch", tags=["memories"], summary="Update many memories at once")
    def batch_update(body: BatchUpdate, q: Annotated[ScopeQuery, Query()]) -> Any:
        all_visible([item.memory_id for item in body.memories], q)
        return memory.batch_update([item.model_dump(exclude_none=True) for item in body.memories])

    @app.delete("/batch", tags=["memories"], summary="Delete many memories at once")
    def batch_delete(body: BatchDelete, q: Annotated[ScopeQuery, Query()]) -> Any:
        all_visible([item.memory_id for item in body.memories], q)
        return memory.batch_delete([item.memory_id for item in body.memories])

    @app.get("/memories/{memory_id}/history", tags=["memories"], summary="Every version")
    def history(memory_id: str, q: Annotated[HistoryQuery, Query()]) -> Any:
        visible(memory_id, q)
        return memory.history(memory_id, **q.options())

    @app.post("/memories/{memory_id}/feedback", tags=["memories"], summary="Judge a memory")
    def feedback(memory_id: str, body: FeedbackCreate, q: Annotated[ScopeQuery, Query()]) -> Any:
        visible(memory_id, q)
        return memory.feedback(memory_id, **body.options())

    @app.delete("/documents/{document_id}", tags=["memories"], summary="Forget a document")
    def forget_document(document_id: str, q: Annotated[ScopeQuery, Query()]) -> Any:
        return memory.forget_document(document_id, **policy.resolve(**q.ids()))

    @app.post("/search", tags=["memories"], summary="Facts and turns that answer a question")
    def search(body: SearchRequest) -> Any:
        return memory.search(**policy.resolve(**body.ids()), **body.options())

    @app.post("/reset", tags=["memories"], summary="Erase all graphmem data (every scope)")
    def reset() -> Any:
        policy.require_all_scopes("reset")
        return memory.reset()


def _graph_routes(app: FastAPI, memory: Memory, policy: ScopePolicy, *, store: str) -> None:
    """The routes over the graph itself."""

    @app.post("/relations", tags=["graph"], summary="Store a fact: subject, relation, object")
    def add_relation(body: RelationCreate) -> Any:
        return memory.add_relation(**policy.resolve(**body.ids()), **body.options())

    # The neighbors route first: a name may hold '/', so `{name:path}` would take it.
    @app.get("/entities/{name:path}/neighbors", tags=["graph"], summary="Facts within hops")
    def neighbors(name: str, q: Annotated[NeighborsQuery, Query()]) -> Any:
        return memory.neighbors(name, **policy.resolve(**q.ids()), **q.options())

    @app.get("/entities/{name:path}", tags=["graph"], summary="What is known about an entity")
    def get_entity(name: str, q: Annotated[ScopeQuery, Query()]) -> Any:
        return memory.neighbors(name, **policy.resolve(**q.ids()), hops=1)

    @app.get("/changes", tags=["graph"], summary="What was learned and retired in a window")
    def changes(q: Annotated[ChangesQuery, Query()]) -> Any:
        return memory.changes(**policy.resolve(**q.ids()), **q.options())

    @app.post("/query", tags=["graph"], summary="Read-only Cypher over the whole database")
    def query(body: CypherRequest) -> Any:
        policy.require_all_scopes("raw Cypher (POST /query)")
        try:
            return memory.query(**policy.resolve(**body.ids()), **body.options())
        except StoreError as exc:  # the engine refused the statement: the caller's mistake
            code = str(getattr(exc.__cause__, "code", None) or "")
            if code.startswith("Neo.ClientError.Statement."):
                raise ValidationError(f"the statement was refused: {exc}") from exc
            raise

    @app.post("/export", tags=["graph"], summary="The scope with its full version history")
    def export(body: ExportRequest | None = None) -> Any:
        body = body or ExportRequest()
        return memory.export(**policy.resolve(**body.ids()), **body.options())

    @app.get("/health", tags=["server"], summary="Whether the server answers")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "store": store, "pid": os.getpid()}


def _webhook_routes(app: FastAPI, memory: Memory, policy: ScopePolicy) -> None:
    """Register, list, change and delete the scope's webhooks."""

    def visible(webhook_id: str, q: ScopeQuery) -> dict[str, Any]:
        try:
            record = memory.get_webhook(webhook_id)
        except NotFoundError:
            record = None
        policy.check_visible(record, webhook_id, what="webhook", **q.ids())
        assert record is not None
        return record

    @app.post("/webhooks", tags=["webhooks"], summary="Register a webhook for the scope")
    def create_webhook(body: WebhookCreate) -> Any:
        return memory.create_webhook(**policy.resolve(**body.ids()), **body.options())

    @app.get("/webhooks", tags=["webhooks"], summary="The scope's webhooks")
    def get_webhooks(q: Annotated[ScopeQuery, Query()]) -> Any:
        return memory.get_webhooks(**policy.resolve(**q.ids()))

    @app.get("/webhooks/{webhook_id}", tags=["webhooks"], summary="One webhook")
    def get_webhook(webhook_id: str, q: Annotated[ScopeQuery, Query()]) -> Any:
        return visible(webhook_id, q)

    @app.put("/webhooks/{webhook_id}", tags=["webhooks"], summary="Change a webhook")
    def update_webhook(
        webhook_id: str, body: WebhookUpdate, q: Annotated[ScopeQuery, Query()]
    ) -> Any:
        visible(webhook_id, q)
        return memory.update_webhook(webhook_id, **body.options())

    @app.delete("/webhooks/{webhook_id}", tags=["webhooks"], summary="Delete a webhook")
    def delete_webhook(webhook_id: str, q: Annotated[ScopeQuery, Query()]) -> Any:
        visible(webhook_id, q)
        return memory.delete_webhook(webhook_id)


def _filters(text: str) -> Any:
    """The `filters` query parameter: a filter as JSON text."""
    try:
        value = json.loads(text)
        check_json(value)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"filters must be a JSON filter: {exc}") from None
    return value

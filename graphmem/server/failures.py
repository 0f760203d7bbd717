"""graphmem's errors as HTTP answers: one JSON shape, one status per kind of error.

Every error answer of the server is ``{"error": <name>, "message": <text>}``, plus
``"details"`` (``[{"loc", "msg", "type"}]``) when the request does not fit the route's schema.
`<name>` is the class in `graphmem.errors`, so `graphmem.client` raises the same class again.

======================================================================  ======================
error                                                                   status
======================================================================  ======================
the request does not fit the route's schema (wrong type, unknown key,   422, ``ValidationError``
invalid JSON: FastAPI's RequestValidationError)
graphmem refused a value: ValidationError, InvalidNameError,            400
ConfigError, ScopeError for a malformed or missing scope id
ScopeError for a scope this server does not act for                     403
(`scoping.ScopeRefusedError`)
NotFoundError (also a memory of another scope)                          404
EmbedderError, ExtractionError (the embedding model or the LLM failed)  502
StoreError (the graph store failed or does not answer)                  503
the framework's own HTTP errors (unknown route, wrong method)           theirs, named after it
anything else (a bug; logged with its traceback by `CatchAll`)          500, ``InternalError``
======================================================================  ======================

The body is ASCII JSON, so a message that quotes odd input (a lone surrogate) still renders.
`send_error` answers in this shape at the ASGI level (for the middlewares). Importing this
module loads no web framework (the handlers import Starlette when they run).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .. import errors
from .scoping import ScopeRefusedError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.responses import Response

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MAX_MESSAGE = 4000
# Most specific first: the first class an error is an instance of gives its status.
STATUS: tuple[tuple[type[errors.GraphmemError], int], ...] = (
    (ScopeRefusedError, 403),
    (errors.NotFoundError, 404),
    (errors.StoreError, 503),
    (errors.EmbedderError, 502),
    (errors.ExtractionError, 502),
    (errors.ValidationError, 400),
    (errors.InvalidNameError, 400),
    (errors.ScopeError, 400),
    (errors.ConfigError, 400),
)


def error_body(error: str, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error answer."""
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "..."
    return {"error": error, "message": message, **extra}


def status_of(exc: errors.GraphmemError) -> int:
    """The HTTP status of a graphmem error (see the module docstring)."""
    return next((status for cls, status in STATUS if isinstance(exc, cls)), 500)


def error_name(exc: BaseException) -> str:
    """The name of the nearest class of `exc` defined in `graphmem.errors` (what a client
    raises again), else its own class name."""
    for cls in type(exc).__mro__:
        if cls.__module__ == errors.__name__:
            return cls.__name__
    return type(exc).__name__


def install(app: FastAPI) -> None:
    """Answer every error of `app` in the JSON shape (see the module docstring); add it
    before the other middlewares, so that it sits inside them."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    app.add_exception_handler(errors.GraphmemError, _graphmem_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(CatchAll)


async def send_error(
    send: Send,
    status: int,
    error: str,
    message: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """Answer an HTTP request with an error, in the JSON shape, at the ASGI level."""
    body = json.dumps(error_body(error, message), ensure_ascii=True).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": [*start, *headers]})
    await send({"type": "http.response.body", "body": body})


class CatchAll:
    """ASGI middleware: an exception no handler answered is logged with its traceback and
    answered 500 ``InternalError``; it does not reach the HTTP server, which would drop
    the connection (a client's next request on it would fail)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            log.error("%s %s failed", scope.get("method"), scope.get("path"), exc_info=exc)
            if started:  # too late for an answer of its own
                raise
            message = f"internal error ({type(exc).__name__}); the server log has the details"
            await send_error(send, 500, "InternalError", message)


def _respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    from starlette.responses import Response

    text = json.dumps(body, ensure_ascii=True, default=str)
    return Response(text, status_code=status, headers=headers, media_type="application/json")


async def _graphmem_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.GraphmemError)
    status = status_of(exc)
    if status >= 500:
        log.warning("%s %s: %s: %s", request.method, request.url.path, error_name(exc), exc)
    return _respond(status, error_body(error_name(exc), str(exc)))


async def _request_invalid(request: Request, exc: Exception) -> Response:
    found: list[dict[str, Any]] = getattr(exc, "errors", list)()
    # Only where and what: the input itself may be huge, or not JSON at all.
    details = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in found
    ]
    message = "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', '')}" for e in found
    )
    body = error_body("ValidationError", message or "invalid request", details=details)
    return _respond(422, body)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = int(getattr(exc, "status_code", 500))
    detail = str(getattr(exc, "detail", "") or "")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "HTTP Error"
    name = "".join(word.capitalize() for word in phrase.replace("-", " ").split())
    headers = getattr(exc, "headers", None)
    return _respond(status, error_body(name, detail or phrase), headers)

"""Who may call the server, and how much they may send: the token file and the ASGI gate.

The token: `ServerConfig.token` when configured, else `<home>/token` (random, mode 0600,
created once: of processes racing on a fresh home, every one ends up with the first one's
token), or none at all with ``require_token=False``.

`Gate` wraps the whole app, mounted sub-apps included. For every HTTP or WebSocket request
except `OPEN_PATHS` and the paths under `OPEN_PREFIXES` (the inspector's page and static
files, which hold no data: `graphmem.server.inspector`) it requires
``Authorization: Bearer <token>`` (else 401 with ``WWW-Authenticate: Bearer``); then it
refuses an HTTP body over `max_body_bytes` with 413, by its Content-Length or, for a chunked
body, by counting what arrives (the body is read before the app runs, so the app never sees
part of a refused request). Both answers are the JSON error shape of
`graphmem.server.failures`. Pure ASGI and standard library only, so clients can import the
token functions without loading a web framework.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from ..config import MemoryConfig
from .failures import ASGIApp, Message, Receive, Scope, Send, send_error
from .inspector import PAGE, STATIC
from .runfile import home_of

TOKEN_FILE = "token"
OPEN_PATHS = frozenset({"/health", "/docs", "/openapi.json", PAGE, PAGE + "/"})
OPEN_PREFIXES = (STATIC,)


def read_token(home: Path) -> str | None:
    """The token in `<home>/token`, or None when there is no such file."""
    try:
        return (home / TOKEN_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def load_or_create_token(home: Path) -> str:
    """The token of `home`, created (random, 0600) if the home has none yet. The file appears
    whole or not at all (written aside, then hard-linked into place)."""
    found = read_token(home)
    if found is not None:
        return found
    home.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=f".{TOKEN_FILE}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32) + "\n")
        os.link(tmp, home / TOKEN_FILE)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        os.unlink(tmp)
    token = read_token(home)
    assert token is not None
    return token


def server_token(config: MemoryConfig) -> str | None:
    """The token a server of this configuration requires (see the module docstring)."""
    if not config.server.require_token:
        return None
    if config.server.token is not None:
        return config.server.token.get_secret_value()
    return load_or_create_token(home_of(config))


class Gate:
    """ASGI middleware: the bearer token and the body size limit (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body_bytes: int) -> None:
        self.app = app
        self.expected = None if token is None else f"Bearer {token}".encode()
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        if not self._authorized(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})  # policy violation
                return
            await send_error(
                send,
                401,
                "Unauthorized",
                "a bearer token is required: send 'Authorization: Bearer <token>' (the token "
                "is in the server's home folder, file 'token', unless configured)",
                ((b"www-authenticate", b"Bearer"),),
            )
            return
        if scope["type"] == "http":
            body = await self._body(scope, receive)
            if body is None:
                await send_error(
                    send,
                    413,
                    "PayloadTooLarge",
                    f"the request body is over this server's limit of {self.max_body_bytes} "
                    "bytes (server.max_body_bytes)",
                )
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        path = scope.get("path") or ""
        if self.expected is None or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return True
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, credentials = given.partition(b" ")
        given = scheme.capitalize() + b" " + credentials.strip()
        return secrets.compare_digest(given, self.expected)

    async def _body(self, scope: Scope, receive: Receive) -> list[Message] | None:
        """The request's body messages, or None once they add up to more than the limit."""
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return None
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # disconnected
                return messages
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return None
            if not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives `messages` first, then whatever the connection sends."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed

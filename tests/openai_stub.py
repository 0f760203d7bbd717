"""A local OpenAI-compatible HTTP server that replays scripted responses, so the real `openai`
client is exercised end to end without any network.

A responder answers each request with ``(status, json_payload)``, or with a `Raw` response
to inject a fault: any status, headers (``Retry-After``) and body bytes (garbage), sent after
a delay (to outlast the client's timeout) or not at all (the connection is dropped).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Raw:
    """A response sent as given: `delay` seconds late, or the connection closed unanswered
    when `drop` is set."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0
    drop: bool = False


Responder = Callable[[str, dict[str, Any]], "tuple[int, dict[str, Any]] | Raw"]


@contextmanager
def openai_server(
    respond: Responder, *, port: int = 0
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve on a loopback port (`port`, else a free one); yields (base_url, requests
    received), each request with its path, JSON body, Authorization header and arrival time
    (`time.monotonic()`)."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(
                {
                    "path": self.path,
                    "body": body,
                    "auth": self.headers.get("Authorization"),
                    "at": time.monotonic(),
                }
            )
            answer = respond(self.path, body)
            if not isinstance(answer, Raw):
                status, payload = answer
                answer = Raw(status, json.dumps(payload).encode())
            time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                return
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        server.shutdown()
        server.server_close()


def completion(content: str) -> dict[str, Any]:
    """A chat completion whose one choice says `content`."""
    return {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
    }

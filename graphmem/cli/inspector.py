"""`graphmem inspect [--user-id U] [--allow-user-id] [--port N] [--no-browser]`: the web
inspector (`/ui` of `graphmem serve`, `graphmem.server.inspector`).

- When a `graphmem serve` of the configured home runs and answers (`service.connect`), it
  prints the address of that server's inspector, opens it in a browser, and returns.
- Else it serves the memory in this process, as `graphmem serve` with the same flags would
  (a user to act for, or `--allow-user-id`), prints the address and opens it once the server
  answers, and serves until SIGTERM or Ctrl-C.

The address is ``<url>/ui#token=<token>[&user=<id>]``: the token rides in the URL fragment,
which a browser never sends to a server (the page reads it from there); `user` picks the user
the page starts with on a server that takes a user id per call. `--no-browser` only prints it.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from ..config import MemoryConfig
from ..server import runfile
from ..server.auth import server_token
from . import service

COMMAND = "inspect"
POLL = 0.05  # seconds between looks at serve.json while the server here starts


def add_command(sub: Any) -> None:
    """Register `inspect` on the main parser's subparsers."""
    p = sub.add_parser(
        COMMAND, help="open the web inspector (serves the memory if no graphmem serve runs)"
    )
    p.add_argument("--port", type=int, help="port of a server started here (0 = any free port)")
    service.add_scope_flags(p)
    p.add_argument("--no-browser", action="store_true", help="print the address only")


def run(args: argparse.Namespace, config: MemoryConfig) -> int:
    """Run `inspect` (see the module docstring); returns the exit code."""
    served = service.with_flags(config, args)
    client = service.connect(served)
    if client is not None:
        with client:
            _show(address(client.url, served, args.user_id), args.no_browser)
        return 0
    from ..server.serve import serve

    home = runfile.home_of(served)
    watcher = threading.Thread(
        target=_show_when_served, args=(home, served, args.user_id, args.no_browser), daemon=True
    )
    watcher.start()
    serve(served)
    return 0


def address(url: str, config: MemoryConfig, user_id: str | None = None) -> str:
    """The inspector's address on the server at `url` (of `config`), token in the fragment."""
    fragment = {"token": server_token(config), "user": user_id}
    given = {key: value for key, value in fragment.items() if value}
    return f"{url}/ui" + (f"#{urlencode(given, quote_via=quote)}" if given else "")


def _show(page: str, no_browser: bool) -> None:
    print(page, flush=True)
    if not no_browser:
        import webbrowser

        webbrowser.open(page)


def _show_when_served(
    home: Path, config: MemoryConfig, user_id: str | None, no_browser: bool
) -> None:
    """Once this process's server announces itself in serve.json, show its inspector."""
    while True:
        info = runfile.read(home)
        if info is not None and info.pid == os.getpid():
            _show(address(info.url, config, user_id), no_browser)
            print("graphmem inspect: serving until Ctrl-C", file=sys.stderr, flush=True)
            return
        time.sleep(POLL)

"""The web inspector of `graphmem serve`: a page that shows what the memory believes.

Routes, added by `add_routes(app, policy)`::

    GET /ui                 the page (no token: it holds no data)
    GET /ui/static/{name}   what the page loads (no token, no data): its script and style
                            sheet (`graphmem/server/ui/`), `style.json` (the Browser kit's
                            `style.grass` as data, `graphmem.server.grass`) and vis-network
                            (`vis-network.min.js`, `vis-network.css`) from the installed
                            `pyvis` package; nothing from the network
    GET /ui/session         whom the server acts for: ``{"user_id", "allow_user_id"}`` (token)

The page's script takes the token from the URL fragment (``/ui#token=...``, which a browser
never sends to a server) and sends it as ``Authorization: Bearer`` on every call; all it shows
comes from the REST routes (`graphmem.server.rest`), so the server's `ScopePolicy` decides what
it reaches, as for any client. Without pyvis (``pip install 'graphmem[inspect]'``) `/ui`
answers 503 with a page that says so.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from .grass import browser_style

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.responses import Response

    from .scoping import ScopePolicy

PAGE = "/ui"
STATIC = "/ui/static/"
UI = Path(__file__).resolve().parent / "ui"
OWN = {"inspector.js": "text/javascript", "inspector.css": "text/css"}
VIS = {"vis-network.min.js": "text/javascript", "vis-network.css": "text/css"}
INSTALL = "pip install 'graphmem[inspect]'"
MISSING = (
    "<!doctype html><meta charset='utf-8'><title>graphmem inspector</title>"
    "<h1>graphmem inspector</h1><p>The inspector draws the graph with vis-network from the "
    "<code>pyvis</code> package, which is not installed here. Install it with "
    f"<code>{INSTALL}</code> and restart <code>graphmem serve</code>.</p>"
)


def vis_dir() -> Path | None:
    """The folder of the newest vis-network that the installed pyvis ships, or None when
    pyvis is not installed (found without importing it)."""
    spec = importlib.util.find_spec("pyvis")
    if spec is None:
        return None
    found = [
        script.parent
        for location in spec.submodule_search_locations or []
        for script in Path(location).glob("lib/vis-*/vis-network.min.js")
    ]
    if not found:
        return None
    return max(found, key=lambda d: [int(n) for n in re.findall(r"\d+", d.name)])


def add_routes(app: FastAPI, policy: ScopePolicy) -> None:
    """Serve the inspector on `app` (see the module docstring)."""
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

    style = browser_style()
    page = (UI / "index.html").read_text(encoding="utf-8")
    vis = vis_dir()  # found once: a pyvis installed later needs a restart, as the page says

    @app.get(PAGE, include_in_schema=False)
    def inspector_page() -> Response:
        if vis is None:
            return HTMLResponse(MISSING, status_code=503)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get(STATIC + "{name}", include_in_schema=False)
    def inspector_static(name: str) -> Response:
        if name == "style.json":
            return JSONResponse(style)
        if name in OWN:
            return FileResponse(UI / name, media_type=OWN[name])
        if name not in VIS:
            raise NotFoundError(f"the inspector has no file {name!r}")
        if vis is None:
            raise NotFoundError(f"{name} comes with pyvis: {INSTALL}")
        return FileResponse(vis / name, media_type=VIS[name])

    @app.get(f"{PAGE}/session", tags=["server"], summary="Whom the server acts for")
    def inspector_session() -> dict[str, Any]:
        return {"user_id": policy.user_id, "allow_user_id": policy.allow_user_id}

"""`graphmem serve`: one long-lived process that owns the store and serves it over HTTP.

The process opens one `Memory` (the embedded engine in this process, or a connection to Neo4j)
and serves it as a REST API (FastAPI on uvicorn) and as MCP tools (streamable HTTP at `/mcp`,
on the same app). Every call passes the same gate: a
bearer token and a body size limit, then the scope policy, then the typed errors of graphmem
turned into JSON. One job per module:

- `serve`: runs the process: opens the `Memory`, builds the app, binds the socket, announces
  itself in `<home>/serve.json`, shuts down cleanly on SIGTERM / SIGINT; `status(home)`.
- `rest`: `create_app(memory, policy, config)`, the routes (mem0-shaped memory routes plus
  graph routes) and the MCP endpoint at `/mcp`, all inside the same gate.
- `payloads`: the pydantic request models of the routes (unknown keys refused).
- `failures`: graphmem's errors as HTTP answers: status codes and the JSON error shape.
- `auth`: the token file of a home and the ASGI gate (bearer token, body size limit).
- `scoping`: whose memories a call reaches (`ScopePolicy`).
- `runfile`: `<home>/serve.json`, how clients find the server of a home.
- `spawn`: starting `graphmem serve` in the background as a home's store owner.
- `mcp`: the MCP server (stdio, and the streamable HTTP app mounted by `serve`).
- `inspector`: the web inspector at `/ui`, a page over the REST routes (its files in `ui/`);
  `grass`: the Neo4j Browser kit's `style.grass` as data, for the page's colours.

`graphmem.client` is the HTTP client of the REST API. Importing this package loads nothing:
FastAPI and uvicorn are imported by `rest` and `serve` only, so clients stay light.
"""

"""`graphmem serve`, the REST API: real server processes, called over HTTP with httpx.

Three servers per module, each in its own home, started at once: `open_server` acts for the
ids each call names (`--allow-user-id`, body limit 64 KiB); `bound` acts for user "owner"
only and also holds a "victim" user's memories written around it (a `Memory` of the test
process on its home); "stopping", with a configured token, is reset and stopped by one test.
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.server.auth import load_or_create_token

from .helpers.hostile import (
    CYPHER,
    OFTEN,
    RARELY,
    SELDOM,
    counts,
    filters_of,
    fractions,
    junk_of,
    short_texts,
    times_of,
)
from .helpers.pdf import make_pdf
from .helpers.served import Served, command, served

pytestmark = pytest.mark.store  # real `graphmem serve` processes, each owning a store

LIMIT = 65_536
VICTIM = "victim-5f0c2a"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    """The module's servers, started at once (each takes seconds: a JVM and a store)."""
    specs: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
        "open": (("--allow-user-id",), {"max_body_bytes": LIMIT}),
        "bound": (("--user-id", "owner"), {}),
        "stopping": (("--allow-user-id",), {"token": "configured-token-123"}),
    }
    managers = {
        name: served(tmp_path_factory.mktemp(name) / "home", *args, **settings)
        for name, (args, settings) in specs.items()
    }
    with ExitStack() as stack, ThreadPoolExecutor(len(managers)) as pool:
        entering = {name: pool.submit(m.__enter__) for name, m in managers.items()}
        for name, future in entering.items():
            if future.exception() is None:
                stack.push(managers[name].__exit__)
        yield {name: future.result() for name, future in entering.items()}


@pytest.fixture(scope="module")
def open_server(servers: dict[str, Served]) -> Served:
    return servers["open"]


@pytest.fixture(scope="module")
def bound(servers: dict[str, Served]) -> Served:
    return servers["bound"]


@pytest.fixture(scope="module")
def around(bound: Served) -> Iterator[Memory]:
    """A Memory of this process on the bound server's home (it connects to that server's
    store): writes what the server itself would refuse to."""
    with Memory(json.loads(bound.config.read_text())) as m:
        yield m


@pytest.fixture(scope="module")
def victim(around: Memory) -> list[str]:
    """The memory ids of a user the bound server does not act for."""
    ids = []
    for s, r, o in [("Vera", "LIVES_IN", "Oslo"), ("Vera", "WORKS_AT", "Initech")]:
        ids.append(around.add_relation(s, r, o, user_id=VICTIM)["results"][0]["id"])
    return ids


def api(server: Served, headers: dict[str, str] | None = None) -> httpx.Client:
    """A client of `server`, with its token unless `headers` are given."""
    headers = server.headers if headers is None else headers
    return httpx.Client(base_url=server.url, headers=headers, timeout=60, trust_env=False)


@pytest.fixture(scope="module")
def http(open_server: Served) -> Iterator[httpx.Client]:
    with api(open_server) as client:
        yield client


@pytest.fixture(scope="module")
def owner(bound: Served) -> Iterator[httpx.Client]:
    with api(bound) as client:
        yield client


def relate(http: httpx.Client, user: str, s: str, r: str, o: str, **more: Any) -> str:
    answer = http.post(
        "/relations", json={"subject": s, "relation": r, "object": o, "user_id": user, **more}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["results"][0]["id"])


def error(answer: httpx.Response, status: int, name: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == name, body
    return str(body["message"])


# -- the process and its files ------------------------------------------------------------------


def test_serve_announces_itself_and_health_needs_no_token(open_server: Served) -> None:
    info = json.loads((open_server.home / "serve.json").read_text())
    assert info == {
        "pid": open_server.process.pid,
        "url": open_server.url,
        "host": "127.0.0.1",
        "port": info["port"],
    }
    assert info["port"] > 0 and open_server.url == f"http://127.0.0.1:{info['port']}"
    token = open_server.home / "token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    health = httpx.get(f"{open_server.url}/health", timeout=10).json()
    assert health["status"] == "ok" and health["store"] == "embedded"
    assert health["pid"] == open_server.process.pid and health["version"]
    assert (open_server.home / "log" / "serve.log").read_text().count("listening on") == 1


def test_docs_and_openapi_need_no_token(open_server: Served) -> None:
    docs = httpx.get(f"{open_server.url}/docs", timeout=10)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    schema = httpx.get(f"{open_server.url}/openapi.json", timeout=10).json()
    paths = schema["paths"]
    assert {
        "/memories",
        "/memories/{memory_id}",
        "/memories/{memory_id}/history",
        "/memories/{memory_id}/feedback",
        "/search",
        "/reset",
        "/relations",
        "/entities/{name}",
        "/entities/{name}/neighbors",
        "/changes",
        "/query",
        "/export",
        "/health",
    } <= set(paths)
    assert set(paths["/memories"]) == {"get", "post", "delete"}
    create = schema["components"]["schemas"]["MemoryCreate"]["properties"]
    assert {"messages", "user_id", "agent_id", "run_id", "metadata"} <= set(create)


def test_a_token_is_required_everywhere_else(open_server: Served) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": open_server.token}):
        with api(open_server, headers) as client:
            for method, path in [("GET", "/memories?user_id=x"), ("POST", "/search")]:
                answer = client.request(method, path, json={"query": "q", "user_id": "x"})
                assert "token" in error(answer, 401, "Unauthorized")
                assert answer.headers["www-authenticate"] == "Bearer"
            # a path no route has is refused before routing, mounted apps included
            error(client.get("/mcp/anything"), 401, "Unauthorized")
    lower = {"Authorization": f"bearer {open_server.token}"}
    with api(open_server, lower) as client:
        assert client.get("/memories", params={"user_id": "x"}).status_code == 200


def test_a_body_over_the_limit_is_413(http: httpx.Client) -> None:
    big = {"query": "x" * (LIMIT + 1), "user_id": "x"}
    assert "limit" in error(http.post("/search", json=big), 413, "PayloadTooLarge")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what arrives
        yield b'{"query": "'
        for _ in range(LIMIT // 1024 + 1):
            yield b"x" * 1024
        yield b'", "user_id": "x"}'

    chunked = http.post("/search", content=chunks(), headers={"content-type": "application/json"})
    error(chunked, 413, "PayloadTooLarge")
    small = http.post("/search", json={"query": "x" * (LIMIT // 2), "user_id": "x"})
    assert small.status_code == 200, small.text


# -- memory routes --------------------------------------------------------------------------------


def test_add_with_mem0_payload_extracts_facts(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    body = {
        "messages": [
            {"role": "user", "content": "I work at Acme."},
            {"role": "assistant", "content": "Noted!"},
        ],
        "user_id": user,
        "metadata": {"topic": "work"},
    }
    added = http.post("/memories", json=body)
    assert added.status_code == 200, added.text
    assert [(e["event"], e["memory"]) for e in added.json()["results"]] == [
        ("ADD", f"{user} works at Acme")
    ]
    listed = http.get("/memories", params={"user_id": user}).json()["results"]
    assert [f["metadata"] for f in listed] == [{"topic": "work"}]
    stored = http.post(
        "/memories", json={"messages": "just a note", "user_id": user, "infer": False}
    )
    assert stored.json()["results"][0]["event"] == "ADD"


def test_add_takes_custom_categories_and_filters_select_by_them(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    body = {"messages": "I work at Acme. I love chess.", "user_id": user}
    mine = {"work": "jobs", "misc": "the rest"}
    added = http.post("/memories", json={**body, "custom_categories": mine}).json()["results"]
    assert sorted(e["categories"] for e in added) == [["misc"], ["work"]]
    work = {"filters": json.dumps({"categories": "work"}), "user_id": user}
    listed = http.get("/memories", params=work).json()["results"]
    assert [f["memory"] for f in listed] == [f"{user} works at Acme"]
    bad = http.post("/memories", json={**body, "custom_categories": {"": "x"}})
    assert bad.status_code == 400 and bad.json()["error"] == "ValidationError"


def test_add_takes_documents_and_forgets_them(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    pdf = base64.b64encode(make_pdf(["I live in Lima.", "I work at Acme."])).decode()
    part = {"type": "pdf_url", "pdf_url": {"url": f"data:application/pdf;base64,{pdf}"}}
    added = http.post("/memories", json={"messages": [{"content": part}], "user_id": user})
    assert added.status_code == 200, added.text
    [document] = added.json()["documents"]
    assert [e["metadata"]["document"]["page"] for e in added.json()["episodes"]] == [1, 2]
    forgotten = http.delete(f"/documents/{document['id']}", params={"user_id": user})
    assert [e["event"] for e in forgotten.json()["results"]] == ["DELETE", "DELETE"]
    assert http.get("/memories", params={"user_id": user}).json()["results"] == []
    again = http.delete(f"/documents/{document['id']}", params={"user_id": user})
    assert error(again, 404, "NotFoundError").startswith("no document")
    url = {"type": "mdx_url", "mdx_url": {"url": "https://example.com/a.md"}}
    refused = http.post("/memories", json={"messages": [{"content": url}], "user_id": user})
    assert "documents.fetch_urls" in error(refused, 400, "ValidationError")


def test_memory_routes_round_trip(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    mid = relate(http, user, "Pia", "LIVES_IN", "Porto", valid_from="2020-01-01")
    relate(http, user, "Pia", "LIKES", "tea", metadata={"k": 1})
    got = http.get(f"/memories/{mid}").json()  # all scopes, no default user: any id
    assert got["memory"] == "Pia lives in Porto" and got["user_id"] == user
    assert http.get(f"/memories/{mid}", params={"user_id": user}).json() == got
    error(http.get(f"/memories/{mid}", params={"user_id": "someone-else"}), 404, "NotFoundError")

    updated = http.put(f"/memories/{mid}", params={"user_id": user}, json={"data": "Faro"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["results"][0]["memory"] == "Pia lives in Faro"
    fields = {"data": {"object": "Braga", "fact": "Pia lives in Braga now"}, "metadata": {"v": 3}}
    assert http.put(f"/memories/{mid}", json=fields).json()["results"][0]["version"] == 3
    history = http.get(f"/memories/{mid}/history").json()
    assert [h["event"] for h in history] == ["ADD", "UPDATE", "UPDATE"]

    filters = json.dumps({"relationship": "LIKES"})
    page = http.get("/memories", params={"user_id": user, "filters": filters}).json()
    assert [f["memory"] for f in page["results"]] == ["Pia likes tea"]
    paged = http.get("/memories", params={"user_id": user, "page": 2, "page_size": 1}).json()
    assert len(paged["results"]) == 1
    past = http.get("/memories", params={"user_id": user, "as_of": "2021-01-01"}).json()
    assert sorted(f["memory"] for f in past["results"]) == ["Pia likes tea", "Pia lives in Porto"]

    assert http.delete(f"/memories/{mid}").json()["results"][0]["event"] == "DELETE"
    assert http.get(f"/memories/{mid}").json()["status"] == "deleted"
    error(http.delete(f"/memories/{mid}"), 404, "NotFoundError")  # no current version
    erased = http.delete("/memories", params={"user_id": user}).json()
    assert erased["deleted"]["facts"] >= 2
    assert http.get("/memories", params={"user_id": user}).json()["results"] == []


def test_search_with_mem0_payload(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    relate(http, user, "Alice", "WORKS_AT", "Acme")
    relate(http, user, "Bob", "WORKS_AT", "Acme")
    body = {"query": "Who does Alice work with?", "user_id": user, "filters": None}
    found = http.post("/search", json=body)
    assert found.status_code == 200, found.text
    assert found.json()["results"][0]["memory"] == "Alice works with Bob (via Acme)"
    limited = http.post("/search", json={**body, "limit": 1, "explain": True, "hops": 1})
    assert len(limited.json()["results"]) == 1
    other = http.post("/search", json={**body, "user_id": "nobody-here"}).json()
    assert other["results"] == []


def test_graph_routes(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    relate(http, user, "Alice", "WORKS_AT", "Acme")
    relate(http, user, "Acme", "LOCATED_IN", "Berlin")
    relate(http, user, "Ann/Marie", "LIVES_IN", "Rome")
    entity = http.get("/entities/Alice", params={"user_id": user}).json()
    assert entity["entity"]["name"] == "Alice"
    assert [f["memory"] for f in entity["results"]] == ["Alice works at Acme"]
    slashed = http.get("/entities/Ann%2FMarie", params={"user_id": user}).json()
    assert slashed["entity"]["name"] == "Ann/Marie"
    two = http.get("/entities/Alice/neighbors", params={"user_id": user, "hops": 2}).json()
    assert [f["hops"] for f in two["results"]] == [1, 2]
    only = http.get(
        "/entities/Alice/neighbors",
        params=[("user_id", user), ("hops", 2), ("types", "LOCATED_IN"), ("types", "LIVES_IN")],
    ).json()
    assert only["results"] == []  # Alice's first hop is WORKS_AT, which was not asked for
    missing = http.get("/entities/Nobody", params={"user_id": user})
    assert "Nobody" in error(missing, 404, "NotFoundError")

    changes = http.get("/changes", params={"user_id": user, "since": "2000-01-01"}).json()
    assert [c["event"] for c in changes["results"]] == ["ADD", "ADD", "ADD"]
    error(http.get("/changes", params={"user_id": user}), 422, "ValidationError")  # no since

    cypher = "MATCH (n:Entity {owner: $owner}) RETURN n.name AS name ORDER BY name"
    rows = http.post("/query", json={"cypher": cypher, "user_id": user}).json()
    assert [r["name"] for r in rows] == ["Acme", "Alice", "Ann/Marie", "Berlin", "Rome"]
    write = {"cypher": "MATCH (n {owner: $owner}) DETACH DELETE n", "user_id": user}
    assert "read-only" in error(http.post("/query", json=write), 400, "ValidationError")
    typo = {"cypher": "MATCH (n {owner: $owner}) RETRN n", "user_id": user}
    assert "refused" in error(http.post("/query", json=typo), 400, "ValidationError")

    export = http.post("/export", json={"user_id": user, "include_embeddings": False}).json()
    assert export["format"] == "graphmem-export" and export["scope"]["user_id"] == user
    assert len(export["relationships"]) == 3
    assert all("embedding" not in n["properties"] for n in export["nodes"])


def test_errors_are_typed_json(http: httpx.Client) -> None:
    unknown = http.post("/search", json={"query": "q", "user_id": "x", "top_k": 3})
    message = error(unknown, 422, "ValidationError")
    assert "top_k" in message and unknown.json()["details"][0]["type"] == "extra_forbidden"
    wrong_type = http.post("/search", json={"query": 5, "user_id": "x"})
    assert wrong_type.json()["details"][0]["loc"] == ["body", "query"]
    error(
        http.post("/search", content=b"{not json", headers={"content-type": "application/json"}),
        422,
        "ValidationError",
    )
    bad_name = {"subject": "A", "relation": "X]->(b) DELETE b //", "object": "B", "user_id": "x"}
    assert "nothing was written" in error(
        http.post("/relations", json=bad_name), 400, "InvalidNameError"
    )
    error(http.post("/search", json={"query": "q"}), 400, "ScopeError")  # no scope at all
    error(http.get("/memories", params={"user_id": "\x01"}), 400, "ScopeError")
    error(
        http.post("/search", json={"query": "q", "user_id": "x", "limit": 0}),
        400,
        "ValidationError",
    )
    error(
        http.get("/memories", params={"user_id": "x", "filters": "{oops"}), 400, "ValidationError"
    )
    far = {"subject": "A", "relation": "LIKES", "object": "B", "user_id": "x", "valid_from": 1e300}
    error(http.post("/relations", json=far), 400, "ValidationError")
    error(http.get(f"/memories/{uuid.uuid4()}"), 404, "NotFoundError")
    error(http.get(f"/memories/{uuid.uuid4()}/history"), 404, "NotFoundError")
    error(http.get("/no/such/route"), 404, "NotFound")
    error(http.patch("/memories"), 405, "MethodNotAllowed")
    nan = b'{"messages": "hi", "user_id": "x", "metadata": {"v": NaN}}'
    error(
        http.post("/memories", content=nan, headers={"content-type": "application/json"}),
        422,
        "ValidationError",
    )


def test_names_that_look_like_cypher_are_data(http: httpx.Client) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    evil = "Alice'}) MATCH (n) DETACH DELETE n //"
    mid = relate(http, user, evil, "LIKES", "`tea`", metadata={"x'}) DELETE n": "$owner"})
    got = http.get(f"/memories/{mid}").json()
    assert got["source"] == evil and got["target"] == "`tea`"
    assert got["metadata"] == {"x'}) DELETE n": "$owner"}


# -- a server bound to one user -------------------------------------------------------------------


def test_bound_server_acts_for_its_user_only(owner: httpx.Client, victim: list[str]) -> None:
    mid = relate(owner, "owner", "Olga", "LIVES_IN", "Kyiv")
    mine = owner.get("/memories").json()["results"]  # no ids: the bound user
    assert [f["id"] for f in mine] == [mid]
    assert owner.get("/memories", params={"user_id": "owner"}).json()["results"] == mine
    for call in [
        owner.get("/memories", params={"user_id": VICTIM}),
        owner.post("/search", json={"query": "Vera", "user_id": VICTIM}),
        owner.delete("/memories", params={"user_id": VICTIM}),
        owner.post("/export", json={"user_id": VICTIM}),
    ]:
        assert "--allow-user-id" in error(call, 403, "ScopeError")
    assert "every scope" in error(owner.post("/reset"), 403, "ScopeError")
    query = {"cypher": "MATCH (n) RETURN count(n) AS n"}
    error(owner.post("/query", json=query), 403, "ScopeError")
    export = owner.post("/export").json()  # no body: the bound user's
    assert export["scope"]["user_id"] == "owner"


def test_bound_server_hides_another_scopes_webhooks(owner: httpx.Client, around: Memory) -> None:
    theirs = around.create_webhook("http://127.0.0.1:1/hook", user_id=VICTIM)
    mine = owner.post("/webhooks", json={"url": "http://127.0.0.1:1/mine"}).json()
    assert mine["user_id"] == "owner"
    assert [w["id"] for w in owner.get("/webhooks").json()["results"]] == [mine["id"]]
    for call in [
        owner.get(f"/webhooks/{theirs['id']}"),
        owner.put(f"/webhooks/{theirs['id']}", json={"url": "http://127.0.0.1:1/stolen"}),
        owner.delete(f"/webhooks/{theirs['id']}"),
    ]:
        assert error(call, 404, "NotFoundError") == f"no webhook with id {theirs['id']!r}"
    error(owner.post("/webhooks", json={"url": "http://x/h", "user_id": VICTIM}), 403, "ScopeError")
    assert around.get_webhook(theirs["id"])["url"] == "http://127.0.0.1:1/hook"
    for webhook_id in (theirs["id"], mine["id"]):
        around.delete_webhook(webhook_id)


def test_bound_server_hides_another_scopes_memory(
    owner: httpx.Client, victim: list[str], around: Memory
) -> None:
    before = around.get(victim[0])
    for params in ({}, {"user_id": "owner"}):
        for call in [
            owner.get(f"/memories/{victim[0]}", params=params),
            owner.get(f"/memories/{victim[0]}/history", params=params),
            owner.put(f"/memories/{victim[0]}", params=params, json={"data": "Paris"}),
            owner.delete(f"/memories/{victim[0]}", params=params),
            owner.post(
                f"/memories/{victim[0]}/feedback",
                params=params,
                json={"feedback": "VERY_NEGATIVE"},
            ),
        ]:
            message = error(call, 404, "NotFoundError")
            assert message == f"no memory with id {victim[0]!r}"  # as for an unknown id
    error(owner.get(f"/memories/{victim[0]}", params={"user_id": VICTIM}), 403, "ScopeError")
    error(owner.get("/entities/Vera"), 404, "NotFoundError")
    assert around.get(victim[0]) == before


# -- bad input, generated -------------------------------------------------------------------------

# Scope ids: the open server's test never names the victim (it may reach every scope).
others = short_texts("mallory", "owner", "user:" + VICTIM)
anyone = others | st.just(VICTIM)
names = others | st.text(max_size=300)
# JSON values a client can send (no NaN or Infinity, which only a hand-written body has).
values = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | names
junk = junk_of(names)
ROUTES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "add": ("POST", "/memories", ("messages", "metadata", "infer", "timestamp")),
    "relate": (
        "POST",
        "/relations",
        ("subject", "relation", "object", "valid_from", "metadata", "source", "confidence"),
    ),
    "get_all": ("GET", "/memories", ("filters", "page", "page_size", "as_of", "known_at")),
    "delete_all": ("DELETE", "/memories", ()),
    "get": ("GET", "/memories/{id}", ()),
    "update": ("PUT", "/memories/{id}", ("data", "metadata")),
    "delete": ("DELETE", "/memories/{id}", ()),
    "history": ("GET", "/memories/{id}/history", ()),
    "feedback": ("POST", "/memories/{id}/feedback", ("feedback", "reason", "by")),
    "batch_update": ("PUT", "/batch", ("memories",)),
    "batch_delete": ("DELETE", "/batch", ()),  # its body is never sent: 422 for every call
    "search": ("POST", "/search", ("query", "limit", "threshold", "filters", "as_of", "hops")),
    "entity": ("GET", "/entities/{id}", ()),
    "neighbors": ("GET", "/entities/{id}/neighbors", ("hops", "types", "as_of", "limit")),
    "changes": ("GET", "/changes", ("since", "until", "limit")),
    "query": ("POST", "/query", ("cypher", "params")),
    "export": ("POST", "/export", ("include_embeddings",)),
    "reset": ("POST", "/reset", ()),
}
# Values of the right type but doubtful content, so that most requests get past the schema
# to graphmem's own checks and the store.
times = times_of(names)
FILTERS = filters_of(junk)
message = st.fixed_dictionaries({"content": names}, optional={"role": names, "name": names})
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "messages": names | st.lists(message, max_size=3),
    "metadata": st.dictionaries(names, values, max_size=3),
    "data": names
    | st.fixed_dictionaries(
        {}, optional={k: names for k in ("subject", "relation", "object", "fact")}
    ),
    "memories": st.lists(
        st.fixed_dictionaries({"memory_id": names}, optional={"data": names, "metadata": names}),
        max_size=3,
    )
    | junk,
    "filters": FILTERS,
    "types": st.lists(names, max_size=3),
    "params": st.dictionaries(names, values, max_size=3),
    "cypher": CYPHER | names,
    **{k: times for k in ("timestamp", "valid_from", "as_of", "known_at", "since", "until")},
    **{k: counts for k in ("page", "page_size", "limit", "hops")},
    **{k: fractions for k in ("threshold", "confidence")},
    **{k: st.booleans() for k in ("infer", "include_embeddings")},
}


@st.composite
def bad_requests(
    draw: st.DrawFn, routes: list[str], ids: st.SearchStrategy[str]
) -> tuple[str, str, dict[str, Any], bytes]:
    """A route, its path, a query string and a raw JSON body: values of the right type but
    doubtful content, now and then one of the wrong type, an unknown key, a body that is
    not an object."""
    method, path, keys = ROUTES[draw(st.sampled_from(routes))]
    fields: dict[str, Any] = {}
    for key in (*keys, "user_id", "agent_id", "run_id"):
        if draw(RARELY if key in ("agent_id", "run_id") else OFTEN):
            plausible = ids if key.endswith("_id") else VALUES.get(key, names)
            fields[key] = draw(junk if draw(SELDOM) else plausible)
    if draw(SELDOM):
        fields[draw(names)] = draw(junk)  # an unknown key
    path = path.replace("{id}", _segment(draw(names)) or "x")
    in_query = {  # a PUT names its scope in the query string
        k: v for k, v in fields.items() if method in ("GET", "DELETE") or k.endswith("_id")
    }
    query = {k: _query_value(v) for k, v in in_query.items()}
    if method in ("GET", "DELETE"):
        return method, path, query, b""
    if method == "POST":
        query = {}
    body: Any = {k: v for k, v in fields.items() if method == "POST" or k not in in_query}
    body = draw(junk) if draw(SELDOM) else body
    return method, path, query, json.dumps(body, allow_nan=True).encode()


def _query_value(value: Any) -> str | list[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return json.dumps(value, allow_nan=True)


def _segment(text: str) -> str:
    return quote(text, safe="")


def _victim_state(http: httpx.Client) -> tuple[Any, ...]:
    facts = http.get("/memories", params={"user_id": VICTIM, "page_size": 10_000}).json()
    export = http.post("/export", json={"user_id": VICTIM, "include_embeddings": False}).json()
    return (
        sorted((f["id"], f["version"], f["memory"]) for f in facts["results"]),
        len(export["nodes"]),
        len(export["relationships"]),
    )


def _send_bad(client: httpx.Client, request: tuple[str, str, dict[str, Any], bytes]) -> None:
    method, path, query, body = request
    headers = {"content-type": "application/json"} if body else {}
    try:
        answer = client.request(method, path, params=query, content=body or None, headers=headers)
    except httpx.InvalidURL:  # too long for a URL: httpx will not send it
        return
    assert answer.status_code < 500, (method, path, query, body[:300], answer.text[:500])
    if answer.status_code >= 400 and answer.headers.get("content-type") == "application/json":
        assert set(answer.json()) >= {"error", "message"}, answer.text[:500]


def test_bad_input_never_fails_the_server_nor_reaches_another_user(http: httpx.Client) -> None:
    """On the server for every scope (every route but reset, which would rightly erase the
    victim), with the victim's id never named."""
    relate(http, VICTIM, "Vera", "LIVES_IN", "Oslo")
    relate(http, VICTIM, "Vera", "WORKS_AT", "Initech", metadata={"k": 1})
    before = _victim_state(http)
    routes = [name for name in ROUTES if name != "reset"]

    @settings(
        max_examples=600,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(bad_requests(routes, others))
    def check(request: tuple[str, str, dict[str, Any], bytes]) -> None:
        _send_bad(http, request)

    check()
    assert _victim_state(http) == before


def test_bad_input_on_a_bound_server(
    owner: httpx.Client, victim: list[str], around: Memory
) -> None:
    """On the bound server, every route; the victim's ids are among those tried."""
    before = around.export(user_id=VICTIM, include_embeddings=False)
    routes = list(ROUTES)

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(bad_requests(routes, anyone), st.sampled_from(victim) | st.none())
    def check(request: tuple[str, str, dict[str, Any], bytes], target: str | None) -> None:
        method, path, query, body = request
        if target is not None and path.startswith("/memories/"):
            tail = next((t for t in ("/history", "/feedback") if path.endswith(t)), "")
            path = "/memories/" + target + tail
        _send_bad(owner, (method, path, query, body))

    check()
    after = around.export(user_id=VICTIM, include_embeddings=False)
    assert _shape(after) == _shape(before)


def _shape(export: dict[str, Any]) -> tuple[list[str], list[str]]:
    """An export's nodes and relationships, comparable."""
    return (
        sorted(json.dumps(n, sort_keys=True) for n in export["nodes"]),
        sorted(json.dumps(r, sort_keys=True) for r in export["relationships"]),
    )


# -- the command line against the running server -------------------------------------------------


def test_cli_uses_the_running_server(open_server: Served) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    added = command(
        open_server, ["--verbose", "--json", "relate", "Ida", "LIVES_IN", "Oslo", "--user", user]
    )
    assert added.returncode == 0, added.stderr
    assert f"using the server at {open_server.url}" in added.stderr
    mid = json.loads(added.stdout)["results"][0]["id"]
    found = command(open_server, ["--verbose", "search", "Where does Ida live?", "--user", user])
    assert found.returncode == 0 and "Ida lives in Oslo" in found.stdout
    assert "using the server" in found.stderr
    history = command(open_server, ["--json", "history", mid])
    assert [h["event"] for h in json.loads(history.stdout)] == ["ADD"]
    missing = command(open_server, ["get", str(uuid.uuid4())])
    assert missing.returncode != 0 and "no memory with id" in missing.stderr
    bad = command(open_server, ["relate", "A", "X]->(b) DELETE b //", "B", "--user", user])
    assert bad.returncode == 2 and "not a valid relationship type" in bad.stderr
    local = command(open_server, ["--verbose", "--no-server", "--json", "get-all", "--user", user])
    assert local.returncode == 0, local.stderr
    assert "in this process" in local.stderr
    assert [f["id"] for f in json.loads(local.stdout)["results"]] == [mid]


def test_serve_status(open_server: Served, tmp_path: Path) -> None:
    running = command(open_server, ["--json", "serve", "--status"])
    assert running.returncode == 0, running.stderr
    status = json.loads(running.stdout)
    assert status["running"] and status["url"] == open_server.url
    assert status["health"]["pid"] == open_server.process.pid
    config = tmp_path / "none.json"
    config.write_text(json.dumps({"store": {"home": str(tmp_path / "empty")}}))
    stopped = subprocess.run(
        [sys.executable, "-m", "graphmem.cli", "--config", str(config), "serve", "--status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stopped.returncode == 1 and "not running" in stopped.stdout


def test_the_cli_imports_nothing_heavy() -> None:
    probe = (
        "import json, sys\n"
        "import graphmem.cli, graphmem.cli.service, graphmem.client\n"
        "heavy = ('neo4j', 'torch', 'spacy', 'sentence_transformers', 'numpy', 'fastapi',\n"
        "         'uvicorn', 'jpype', 'graphmem.memory', 'graphmem.store.graph_store')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []


# -- the token file and the shutdown --------------------------------------------------------------


def test_the_token_file_is_made_once(tmp_path: Path) -> None:
    tokens: list[str] = []
    threads = [
        threading.Thread(target=lambda: tokens.append(load_or_create_token(tmp_path)))
        for _ in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and len(tokens[0]) >= 32
    assert (tmp_path / "token").read_text().strip() == tokens[0]
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["token"]  # no file left aside


def test_reset_then_sigterm_shuts_down_cleanly(servers: dict[str, Served]) -> None:
    server = servers["stopping"]
    assert not (server.home / "token").exists()  # a configured token makes no file
    with api(server) as client:
        relate(client, "u", "Ann", "LIVES_IN", "Rome")
        relate(client, "w", "Bea", "LIVES_IN", "Bonn")
        erased = client.post("/reset").json()
        assert erased["deleted"]["entities"] == 4
        assert client.get("/memories", params={"user_id": "u"}).json()["results"] == []
        # In flight when the signal comes: the server's first extraction (spaCy loads).
        answers: list[httpx.Response] = []
        message = {"messages": "I live in Rome.", "user_id": "u"}
        adding = threading.Thread(
            target=lambda: answers.append(client.post("/memories", json=message))
        )
        adding.start()
        time.sleep(1.0)
        assert server.stop() == 0
        adding.join()
    assert answers[0].status_code == 200, answers[0].text
    assert [e["memory"] for e in answers[0].json()["results"]] == ["u lives in Rome"]
    assert not (server.home / "serve.json").exists()
    log = (server.home / "log" / "serve.log").read_text()
    assert "graphmem serve stopped" in log

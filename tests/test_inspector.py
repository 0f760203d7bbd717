"""The web inspector (`/ui` of `graphmem serve`) and `graphmem inspect`, on a real server.

One server for the module, bound to user "alice" (`--user-id alice`), seeded over REST with a
fact of two versions (Alice lives in Berlin from 2023, in Paris from June 2024) and three more;
another owner's memories ("zed") are written into the same home around it by a `Memory` of
this process. The page is driven in headless Chromium (Debian's package, through Playwright;
no browser download) and must show alice's graph, and nothing of zed's. Screenshots go to
`benchmarks/results/inspector*.png`.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from graphmem import Memory
from graphmem.server.grass import browser_style

from .helpers.served import Served, command, served, wait_served, write_config

# The tests with a real `graphmem serve` (a process owning a store) are in the store tier.
store = pytest.mark.store

OWNER = "alice"
OTHER = "zed-7c1e"
OTHERS_NAMES = ("Zed", "Quito", "Umbrella")  # zed's entities: never on alice's page
RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# alice's facts: (subject, relation, object, valid_from, more); LIVES_IN has two versions.
FACTS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("Alice", "WORKS_AT", "Acme", "2022-01-01", {"object_type": "Organization"}),
    ("Carol", "KNOWS", "Alice", "2021-05-01", {"subject_type": "Person"}),
    (
        "Alice",
        "LIVES_IN",
        "Berlin",
        "2023-01-01",
        {"subject_type": "Person", "object_type": "Place", "source": "I live in Berlin now."},
    ),
    ("Alice", "LIVES_IN", "Paris", "2024-06-01", {"source": "We moved to Paris in June."}),
    ("Alice", "MEMBER_OF", "Chess Club", "2024-09-01", {"object_type": "Organization"}),
]
NOW = (5, 4)  # entities, relationships of the current graph
BEFORE_PARIS = (4, 3)  # as of 2024-01-01: Berlin instead of Paris, no chess club yet


@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The module's server, bound to alice, with alice's and zed's memories in its home."""
    with served(tmp_path_factory.mktemp("inspect") / "home", "--user-id", OWNER) as server:
        with api(server) as http:
            for s, r, o, valid_from, more in FACTS:
                body = {"subject": s, "relation": r, "object": o, "valid_from": valid_from}
                answer = http.post("/relations", json={**body, **more})
                assert answer.status_code == 200, answer.text
        with Memory(json.loads(server.config.read_text())) as around:
            around.add_relation("Zed", "LIVES_IN", "Quito", user_id=OTHER, source="Zed here.")
            around.add_relation("Zed", "WORKS_AT", "Umbrella", user_id=OTHER)
        yield server


def api(server: Served, headers: dict[str, str] | None = None) -> httpx.Client:
    headers = server.headers if headers is None else headers
    return httpx.Client(base_url=server.url, headers=headers, timeout=60, trust_env=False)


@pytest.fixture(scope="module")
def playwright() -> ModuleType:
    return pytest.importorskip(
        "playwright.sync_api",
        reason="the browser tests drive Chromium with Playwright: pip install playwright",
    )


@pytest.fixture(scope="module")
def browser(playwright: ModuleType) -> Iterator[Any]:
    chromium = next(
        (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and Path(p).exists()),
        None,
    )
    if chromium is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, inspected: Served) -> Iterator[Any]:
    """The inspector of alice's server, loaded with the token, graph drawn."""
    tab = browser.new_page(viewport={"width": 1440, "height": 900})
    tab.goto(f"{inspected.url}/ui#token={inspected.token}")
    tab.wait_for_selector("body[data-state=ready]", timeout=30_000)
    yield tab
    tab.close()


def counts(page: Any) -> tuple[int, int]:
    return int(page.inner_text("#node-count")), int(page.inner_text("#edge-count"))


def shoot(page: Any, name: str) -> None:
    """A screenshot of the page once the graph's layout has settled."""
    page.wait_for_selector("body[data-graph=stable]", timeout=30_000)
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"))


def wait_ready(page: Any) -> None:
    page.wait_for_selector("body[data-state=ready]", timeout=30_000)


# -- the page without the store ---


def test_without_pyvis_the_page_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from graphmem.server import failures, inspector
    from graphmem.server.scoping import ScopePolicy

    monkeypatch.setattr(inspector, "vis_dir", lambda: None)
    app = FastAPI()
    failures.install(app)
    inspector.add_routes(app, ScopePolicy(user_id=OWNER))
    with TestClient(app) as client:
        page = client.get("/ui")
        assert page.status_code == 503 and "pip install 'graphmem[inspect]'" in page.text
        missing = client.get("/ui/static/vis-network.min.js")
        assert missing.status_code == 404 and "graphmem[inspect]" in missing.json()["message"]
        assert client.get("/ui/static/inspector.js").status_code == 200  # its own files ship


def test_the_style_is_the_browser_kits() -> None:
    style = browser_style()
    assert list(style)[:3] == ["node", "relationship", "node.Entity"]
    assert (
        style["node.Person"]["color"] == "#4C8EDA" and style["node.Entity"]["caption"] == "{name}"
    )
    grass = Path(__file__).resolve().parent.parent / "cypher" / "browser" / "style.grass"
    assert len(style) == grass.read_text().count("{\n")  # every rule of the file


# -- the gate -------------------------------------------------------------------------------------


@store
def test_the_page_and_its_files_need_no_token_and_hold_no_data(inspected: Served) -> None:
    with api(inspected, headers={}) as anonymous:
        html = anonymous.get("/ui")
        assert html.status_code == 200 and "graphmem inspector" in html.text
        for name in ("inspector.js", "inspector.css", "vis-network.min.js", "vis-network.css"):
            static = anonymous.get(f"/ui/static/{name}")
            assert static.status_code == 200 and static.content, name
        assert anonymous.get("/ui/static/style.json").json() == browser_style()
        script = anonymous.get("/ui/static/inspector.js").text
        for text in (html.text, script):
            assert not [word for word in ("Alice", "Paris", OWNER) if word in text]
        assert anonymous.get("/ui/static/secret.txt").status_code == 404
        # the data routes, and the page's own session route, still want the token
        for path in ("/ui/session", "/memories", "/changes?since=2000-01-01", "/ui/sessions"):
            assert anonymous.get(path).status_code == 401, path
        assert anonymous.post("/search", json={"query": "Alice"}).status_code == 401
        # an open prefix does not open what lies beyond it
        for path in ("/ui/static/%2e%2e/memories", "/ui/static/../memories"):
            answer = anonymous.send(anonymous.build_request("GET", path))
            assert answer.status_code in (401, 404) and b"Alice" not in answer.content, path
    with api(inspected) as http:
        assert http.get("/ui/session").json() == {"user_id": OWNER, "allow_user_id": False}


@store
def test_the_page_says_when_the_token_is_missing_or_wrong(browser: Any, inspected: Served) -> None:
    tab = browser.new_page()
    try:
        for fragment in ("", "#token=wrong"):
            tab.goto(f"{inspected.url}/ui{fragment}")
            tab.wait_for_selector("body[data-state=error]", timeout=30_000)
            message = tab.inner_text("#message")
            assert "token" in message and "graphmem inspect" in message
            assert counts(tab) == (0, 0)
    finally:
        tab.close()


# -- what the page shows --------------------------------------------------------------------------


@store
def test_the_page_shows_the_owners_current_graph(page: Any, inspected: Served) -> None:
    assert counts(page) == NOW
    facts = page.locator("[data-testid=fact]").all_inner_texts()
    assert len(facts) == NOW[1] and any("Alice lives in Paris" in f for f in facts)
    assert page.inner_text("#owner") == f"for user {OWNER}"
    with api(inspected) as http:
        shown = http.get("/memories").json()["results"]
    ends = {f[k] for f in shown for k in ("source_id", "target_id")}
    assert (len(ends), len(shown)) == NOW  # what the page counts is what the API says
    # the token left the address bar, and the page keeps working without it
    assert "token" not in page.url
    shoot(page, "inspector-graph")


@store
def test_search_shows_scores_paths_explanations_and_sources(page: Any) -> None:
    page.fill("#query", "Where does Alice live?")
    page.click("#search-form button")
    wait_ready(page)
    results = page.locator("[data-testid=result]")
    assert results.count() >= 2
    paris = results.filter(has_text="Alice lives in Paris").first.inner_text()
    assert "Alice -[LIVES_IN]-> Paris" in paris  # the path that explains it
    assert "We moved to Paris in June." in paris  # its source turn
    assert re.search(r"explain: .*similarity \d", paris)
    scores = [float(s) for s in page.locator("[data-testid=score]").all_inner_texts()]
    assert scores and scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    shoot(page, "inspector-search")


@store
def test_a_facts_history_is_its_version_chain_with_the_episodes(page: Any) -> None:
    page.locator("[data-testid=fact]", has_text="Alice lives in Paris").click()
    wait_ready(page)
    versions = page.locator("[data-testid=version]")
    assert [
        (v.get_attribute("data-event"), v.get_attribute("data-target")) for v in versions.all()
    ] == [("ADD", "Berlin"), ("UPDATE", "Paris")]
    first, second = versions.all_inner_texts()
    assert "valid 2023-01-01 → 2024-06-01" in first and "I live in Berlin now." in first
    assert "valid 2024-06-01 → now" in second and "We moved to Paris in June." in second
    assert "superseded" in first and "current" in second
    shoot(page, "inspector")  # the README's picture: the graph and a version chain


@store
def test_as_of_shows_the_graph_of_that_day(page: Any) -> None:
    page.fill("#as-of", "2024-01-01")
    wait_ready(page)
    page.wait_for_function(f"document.getElementById('edge-count').textContent == '{3}'")
    assert counts(page) == BEFORE_PARIS
    facts = " ".join(page.locator("[data-testid=fact]").all_inner_texts())
    assert "Alice lives in Berlin" in facts and "Paris" not in facts and "Chess" not in facts
    assert page.inner_text("#view") == "graph as of 2024-01-01"
    shoot(page, "inspector-as-of")
    page.click("#now")
    page.wait_for_function(f"document.getElementById('edge-count').textContent == '{NOW[1]}'")
    assert counts(page) == NOW


@store
def test_an_entitys_neighbourhood_to_n_hops(page: Any) -> None:
    page.fill("#entity", "Carol")
    page.fill("#hops", "1")
    page.click("#entity-form button[type=submit]")
    page.wait_for_function("document.getElementById('view').textContent.startsWith('Carol')")
    wait_ready(page)
    assert counts(page) == (2, 1)
    page.fill("#hops", "2")
    page.click("#entity-form button[type=submit]")
    page.wait_for_function("document.getElementById('edge-count').textContent == '4'")
    assert counts(page) == NOW
    page.fill("#entity", "Nobody")
    page.click("#entity-form button[type=submit]")
    page.wait_for_selector("body[data-state=error]")
    assert "NotFoundError" in page.inner_text("#message")


@store
def test_changes_since_a_date(page: Any, inspected: Served) -> None:
    page.fill("#since", "2000-01-01")
    page.click("#changes-form button")
    wait_ready(page)
    shown = page.locator("[data-testid=change]")
    with api(inspected) as http:
        events = http.get("/changes", params={"since": "2000-01-01"}).json()["results"]
    assert [c.get_attribute("data-event") for c in shown.all()] == [e["event"] for e in events]
    assert sorted(e["event"] for e in events) == ["ADD", "ADD", "ADD", "ADD", "UPDATE"]
    page.fill("#since", "2999-01-01")
    page.click("#changes-form button")
    page.wait_for_function("!document.querySelector('[data-testid=change]')")
    assert "no changes" in page.inner_text("#changes")


@store
def test_history_with_sources_gives_each_version_the_episodes_that_taught_it(
    memory: Memory, user: str
) -> None:
    """What the page's timeline reads: `history(id, sources=True)`."""
    said = ["I live in Graz.", "Moved to Linz!"]
    added = memory.add_relation("Uma", "LIVES_IN", "Graz", user_id=user, source=said[0])
    mid = added["results"][0]["id"]
    memory.add_relation("Uma", "LIVES_IN", "Linz", user_id=user, source=said[1])
    memory.delete(mid)
    events = memory.history(mid, sources=True)
    assert [(e["event"], [s["content"] for s in e["sources"]]) for e in events] == [
        ("ADD", said[:1]),
        ("UPDATE", said[1:]),
        ("DELETE", []),
    ]
    assert [len(e["episode_ids"]) for e in events] == [1, 1, 0]
    plain = memory.history(mid)
    assert [{k: e[k] for k in plain[0]} for e in events] == plain  # the rest is unchanged
    assert "sources" not in plain[0]


# -- another owner's data -------------------------------------------------------------------------


@store
def test_the_inspector_never_shows_another_owners_data(page: Any, inspected: Served) -> None:
    """zed's memories share the home: not on the page, nor in any answer of what it calls."""
    page.fill("#entity", "Zed")
    page.click("#entity-form button[type=submit]")
    page.wait_for_selector("body[data-state=error]")
    assert page.inner_text("#message") == "NotFoundError: no entity named 'Zed' in this scope"
    page.fill("#query", "Where does Zed live? Quito Umbrella")
    page.click("#search-form button")
    wait_ready(page)
    page.fill("#since", "2000-01-01")
    page.click("#changes-form button")
    wait_ready(page)
    page.locator("[data-testid=change]").first.click()  # a history too
    wait_ready(page)
    assert page.locator("[data-testid=result]").count() > 0
    shown = [page.inner_text(f"#{part}") for part in ("facts", "results", "changes", "history")]
    text = " ".join([*shown, page.inner_html("#names"), page.inner_text("body")])
    assert not [n for n in OTHERS_NAMES if n in text]
    assert counts(page) == NOW  # the graph drawn is alice's
    assert page.locator("#user-field").is_hidden()  # a bound server: no user to pick

    with api(inspected) as http:
        with Memory(json.loads(inspected.config.read_text())) as around:
            theirs = around.get_all(user_id=OTHER)["results"]
        assert len(theirs) == 2  # zed's memories are there, in the same store
        answers = [
            http.get("/memories", params={"page_size": 2000}),
            http.get("/memories", params={"as_of": "2025-01-01"}),
            http.get("/changes", params={"since": "2000-01-01"}),
            http.post("/search", json={"query": "Zed Quito Umbrella", "explain": True}),
            http.get("/entities/Alice/neighbors", params={"hops": 4}),
            http.get("/ui/session"),
        ]
        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert not [n for n in OTHERS_NAMES if n in answer.text], answer.url
        for fact in theirs:
            missing = http.get(f"/memories/{fact['id']}/history", params={"sources": True})
            assert missing.status_code == 404
        assert http.get("/entities/Zed/neighbors").status_code == 404
        for refused in (
            http.get("/memories", params={"user_id": OTHER}),
            http.get("/changes", params={"since": "2000-01-01", "user_id": OTHER}),
            http.post("/search", json={"query": "Zed", "user_id": OTHER}),
        ):
            assert refused.status_code == 403


@store
def test_the_client_reads_a_history_with_its_sources(inspected: Served) -> None:
    from graphmem.client import MemoryClient

    with MemoryClient(inspected.url, inspected.token) as client:
        paris = next(f for f in client.get_all()["results"] if f["target"] == "Paris")
        events = client.history(paris["id"], sources=True)
        assert [[s["content"] for s in e["sources"]] for e in events] == [
            ["I live in Berlin now."],
            ["We moved to Paris in June."],
        ]
        assert "sources" not in client.history(paris["id"])[0]


# -- graphmem inspect -----------------------------------------------------------------------------


@store
def test_inspect_opens_the_running_servers_page(inspected: Served) -> None:
    run = command(inspected, ["inspect", "--no-browser"])
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"{inspected.url}/ui#token={inspected.token}"
    assert httpx.get(run.stdout.strip(), timeout=10, trust_env=False).status_code == 200


@pytest.fixture(scope="module")
def any_user(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str]]:
    """`graphmem inspect --allow-user-id --user-id carol --no-browser` on a home where no
    server runs: the server it started (in its own process), and the address it printed."""
    home = tmp_path_factory.mktemp("inspect-any") / "home"
    config = write_config(home)
    argv = ["inspect", "--allow-user-id", "--user-id", "carol", "--no-browser"]
    process = subprocess.Popen(
        [sys.executable, "-m", "graphmem.cli", "--config", str(config), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = wait_served(home, process)
        assert process.stdout is not None
        address = process.stdout.readline().decode().strip()
        token = (home / "token").read_text().strip()
        yield Served(url, token, home, config, process), address
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0  # Ctrl-C / SIGTERM: a clean stop


@store
def test_inspect_serves_the_memory_when_no_server_runs(any_user: tuple[Served, str]) -> None:
    server, address = any_user
    assert address == f"{server.url}/ui#token={server.token}&user=carol"
    assert httpx.get(address, timeout=10, trust_env=False).status_code == 200
    with api(server) as http:
        assert http.get("/ui/session").json() == {"user_id": "carol", "allow_user_id": True}


@store
def test_a_server_for_any_user_gets_a_user_field(
    browser: Any, any_user: tuple[Served, str]
) -> None:
    server, address = any_user
    with api(server) as http:
        for user, s, r, o in [
            ("carol", "Carol", "LIVES_IN", "Lyon"),
            ("dave", "Dave", "WORKS_AT", "Globex"),
            ("dave", "Dave", "KNOWS", "Erin"),
        ]:
            body = {"subject": s, "relation": r, "object": o, "user_id": user}
            assert http.post("/relations", json=body).status_code == 200
    tab = browser.new_page()
    try:
        tab.goto(address)  # the user the command named comes first
        wait_ready(tab)
        assert tab.locator("#user-field").is_visible() and tab.input_value("#user") == "carol"
        assert counts(tab) == (2, 1)
        tab.fill("#user", "dave")
        tab.press("#user", "Enter")
        tab.wait_for_function("document.getElementById('edge-count').textContent == '2'")
        assert counts(tab) == (3, 2) and "Lyon" not in tab.inner_text("#facts")
    finally:
        tab.close()

// The graphmem inspector: one owner's memory as the REST API of `graphmem serve` shows it.
// The token comes from the URL fragment (#token=...&user=...), which the browser never sends
// to the server; it is kept in sessionStorage and sent as `Authorization: Bearer` on every
// call. Everything shown comes from the API, so the server's scope policy decides what it is.
// Names and texts are data: they go into the page as text, never as HTML.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = "graphmem-inspector-token";
  const PAGE_SIZE = 2000;
  const NO_TOKEN =
    "This page needs the server's token: open the address `graphmem inspect` prints (it " +
    "ends in #token=...), or add #token=<the text of the file 'token' in the server's home " +
    "folder> to this address.";
  let token = null;
  let session = null;
  let style = {};
  let network = null;
  let edgeSet = null;
  let view = "graph"; // or "neighbourhood"

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value == null) continue;
      if (key === "onclick") node.addEventListener("click", value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children.filter((c) => c != null).map((c) => (c instanceof Node ? c : String(c))));
    return node;
  }

  function fill(id, items, empty) {
    $(id).replaceChildren(...(items.length ? items : [el("li", { class: "meta" }, empty)]));
  }

  function say(text) {
    $("message").textContent = text || "";
    $("message").hidden = !text;
  }

  function fromFragment() {
    const given = new URLSearchParams(location.hash.slice(1));
    if (given.has("token")) sessionStorage.setItem(KEY, given.get("token"));
    if (given.has("user")) $("user").value = given.get("user");
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    return sessionStorage.getItem(KEY);
  }

  function scope() {
    const user = $("user").value.trim();
    return session && session.allow_user_id && user ? { user_id: user } : {};
  }

  async function api(path, params = {}, body = null) {
    const url = new URL(path, location.origin);
    const query = body ? params : { ...scope(), ...params };
    for (const [key, value] of Object.entries(query)) {
      if (value !== "" && value != null) url.searchParams.set(key, value);
    }
    const init = { headers: token ? { Authorization: `Bearer ${token}` } : {} };
    if (body) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify({ ...scope(), ...body });
    }
    const answer = await fetch(url, init);
    const data = await answer.json().catch(() => null);
    if (answer.status === 401) throw new Error(NO_TOKEN);
    if (!answer.ok) {
      const name = (data && data.error) || answer.status;
      throw new Error(`${name}: ${(data && data.message) || answer.statusText}`);
    }
    return data;
  }

  async function act(step) {
    document.body.dataset.state = "busy";
    try {
      say("");
      await step();
      document.body.dataset.state = "ready";
    } catch (error) {
      say(error.message);
      document.body.dataset.state = "error";
    }
  }

  const px = (value, fallback) => parseFloat(value) || fallback;
  const day = (time) => (time ? time.slice(0, 10) : null);
  const stamp = (time) => (time ? `${time.slice(0, 19).replace("T", " ")} UTC` : null);
  const asOf = () => $("as-of").value;

  function nodeStyle(type) {
    // Browser's rule order: node, node.Entity, then the entity's type
    return { ...style.node, ...style["node.Entity"], ...(style[`node.${type}`] || {}) };
  }

  function swatch(type) {
    return el("span", { class: "swatch", style: `background:${nodeStyle(type).color}` });
  }

  function draw(facts, centre) {
    const nodes = new Map();
    const add = (id, name, type) => {
      if (nodes.has(id)) return;
      const s = nodeStyle(type);
      nodes.set(id, {
        id,
        label: name,
        title: `${name} (${type || "Entity"})`,
        shape: "circle",
        widthConstraint: { minimum: px(s.diameter, 50), maximum: px(s.diameter, 50) * 2 },
        borderWidth: px(s["border-width"], 2),
        color: { background: s.color, border: s["border-color"] },
        font: { color: s["text-color-internal"], size: px(s["font-size"], 10) + 3 },
      });
    };
    if (centre) add(centre.id, centre.name, centre.type);
    const rel = style.relationship || {};
    const edges = new Map();
    for (const f of facts) {
      add(f.source_id, f.source, f.source_type);
      add(f.target_id, f.target, f.target_type);
      const id = f.version_id || `${f.source_id} ${f.relationship} ${f.target_id}`;
      edges.set(id, {
        id,
        from: f.source_id,
        to: f.target_id,
        label: f.relationship,
        title: f.memory || "",
        memory: f.id,
        arrows: "to",
        color: { color: rel.color },
        width: px(rel["shaft-width"], 2),
        font: { size: px(rel["font-size"], 8) + 3, align: "middle" },
      });
    }
    edgeSet = new vis.DataSet([...edges.values()]);
    const data = { nodes: new vis.DataSet([...nodes.values()]), edges: edgeSet };
    document.body.dataset.graph = "drawing";
    if (network) network.setData(data);
    else {
      const options = { edges: { length: 220, smooth: { type: "dynamic" } } };
      network = new vis.Network($("graph"), data, options);
      network.on("stabilizationIterationsDone", () => (document.body.dataset.graph = "stable"));
      network.on("click", (event) => {
        if (event.nodes.length) $("entity").value = network.body.data.nodes.get(event.nodes[0]).label;
        else if (event.edges.length) act(() => showHistory(edgeSet.get(event.edges[0]).memory));
      });
      network.on("doubleClick", (event) => event.nodes.length && showNeighbourhood());
    }
    $("node-count").textContent = nodes.size;
    $("edge-count").textContent = edges.size;
    const items = facts.map((f) =>
      el(
        "li",
        { "data-testid": "fact", "data-memory": f.id, onclick: () => act(() => showHistory(f.id)) },
        swatch(f.source_type),
        f.memory || `${f.source} ${f.relationship} ${f.target}`,
        el("span", { class: "meta" }, ` v${f.version || "?"} ${f.status || ""}`),
      ),
    );
    fill("facts", items, "no facts");
  }

  async function loadGraph() {
    const answer = await api("/memories", { page_size: PAGE_SIZE, as_of: asOf() });
    draw(answer.results);
    const names = new Set(answer.results.flatMap((f) => [f.source, f.target]));
    $("names").replaceChildren(...[...names].sort().map((n) => el("option", { value: n })));
    const full = answer.results.length >= PAGE_SIZE ? ` (the first ${PAGE_SIZE} facts)` : "";
    $("view").textContent = (asOf() ? `graph as of ${asOf()}` : "current graph") + full;
  }

  async function loadNeighbourhood() {
    const hops = $("hops").value;
    const name = encodeURIComponent($("entity").value.trim());
    const answer = await api(`/entities/${name}/neighbors`, { hops, as_of: asOf(), limit: 1000 });
    draw(answer.results, answer.entity);
    const when = asOf() ? ` as of ${asOf()}` : "";
    $("view").textContent = `${answer.entity.name} within ${hops} hop(s)${when}`;
  }

  const reload = () => (view === "graph" ? loadGraph() : loadNeighbourhood());

  function showNeighbourhood() {
    view = "neighbourhood";
    act(loadNeighbourhood);
  }

  function episode(e) {
    const about = [e.role, e.name, stamp(e.occurred_at)].filter(Boolean).join(" · ");
    return el("blockquote", { "data-testid": "episode" }, e.content, el("div", { class: "meta" }, about));
  }

  async function showHistory(memoryId) {
    const path = `/memories/${encodeURIComponent(memoryId)}/history`;
    const events = await api(path, { sources: true });
    const last = events[events.length - 1];
    $("history-title").textContent = last ? `of ${last.source} ${last.relationship}` : "";
    const items = events.map((e) =>
      el(
        "li",
        { "data-testid": "version", "data-event": e.event, "data-target": e.target },
        el("span", { class: "event" }, `v${e.version} ${e.event} `),
        e.new_memory || `(was: ${e.old_memory})`,
        el(
          "div",
          { class: "meta" },
          `valid ${day(e.valid_from) || "always"} → ${day(e.valid_to) || "now"} · recorded ` +
            `${stamp(e.recorded_at)}${e.expired_at ? ` · expired ${stamp(e.expired_at)}` : ""}` +
            ` · ${e.status}`,
        ),
        ...e.sources.map(episode),
      ),
    );
    fill("history", items, "no versions");
    $("history-pane").open = true;
    if (edgeSet && last && edgeSet.get(last.id)) network.selectEdges([last.id]);
  }

  async function search() {
    const body = { query: $("query").value, explain: true, limit: 10, as_of: asOf() || null };
    const answer = await api("/search", {}, body);
    const items = answer.results.map((r) => {
      const fact = r.type === "fact";
      const path = (r.path || []).map((p) => `${p.source} -[${p.relationship}]-> ${p.target}`);
      const parts = Object.entries(r.explanation || {}).map(([k, v]) => `${k} ${v}`);
      return el(
        "li",
        {
          "data-testid": "result",
          "data-memory": fact ? r.id : null,
          onclick: fact ? () => act(() => showHistory(r.id)) : null,
        },
        el("span", { class: "score", "data-testid": "score" }, r.score.toFixed(3)),
        `${r.type}: ${r.memory}`,
        path.length ? el("div", { class: "meta", "data-testid": "path" }, `path: ${path.join(", ")}`) : null,
        el("div", { class: "meta", "data-testid": "explanation" }, `explain: ${parts.join(", ")}`),
        // an episode is its own source: only a fact cites the turns it came from
        ...(fact ? r.sources || [] : []).map(episode),
      );
    });
    fill("results", items, "nothing found");
  }

  async function changes() {
    const answer = await api("/changes", { since: $("since").value, limit: 500 });
    const items = answer.results.map((c) =>
      el(
        "li",
        { "data-testid": "change", "data-event": c.event, onclick: () => act(() => showHistory(c.memory_id)) },
        el("span", { class: "event" }, `${c.event} `),
        c.new_memory || c.old_memory,
        c.event === "UPDATE" && c.old_memory ? el("span", { class: "meta" }, ` (was: ${c.old_memory})`) : null,
        el("div", { class: "meta" }, `${stamp(c.updated_at)} · v${c.version} · ${c.status}`),
      ),
    );
    fill("changes", items, "no changes");
  }

  async function start() {
    token = fromFragment();
    session = await api("/ui/session");
    style = await (await fetch("ui/static/style.json")).json();
    $("user-field").hidden = !session.allow_user_id;
    if (session.allow_user_id && !$("user").value) $("user").value = session.user_id || "";
    $("owner").textContent = session.allow_user_id
      ? "this server takes a user id per call"
      : `for user ${session.user_id}`;
    if (session.allow_user_id && !$("user").value) throw new Error("Enter a user id.");
    await loadGraph();
  }

  $("entity-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showNeighbourhood();
  });
  $("whole").addEventListener("click", () => {
    view = "graph";
    act(loadGraph);
  });
  $("as-of").addEventListener("change", () => act(reload));
  $("now").addEventListener("click", () => {
    $("as-of").value = "";
    act(reload);
  });
  $("user").addEventListener("change", () => act(reload));
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(search);
  });
  $("changes-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(changes);
  });
  act(start);
})();

"""`graphmem show`, a picture of the memory without Neo4j: the current graph (or an entity's
neighbourhood) drawn with networkx and matplotlib, entities coloured by type, relation types
on the edges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import ConfigError, ValidationError

_COLOURS = {
    "Person": "#4C8EDA",
    "Organization": "#F79767",
    "Place": "#57C7E3",
    "Event": "#F16667",
    "Thing": "#8DCC93",
}
_OTHER = "#C990C0"


def current_graph(memory: Any, *, entity: str | None = None, hops: int = 2, **scope: Any) -> Any:
    """The scope's current facts as a networkx MultiDiGraph (node attr `type`, edge attrs
    `relationship` and `memory`); with `entity`, only what lies within `hops` of it."""
    if entity is None:
        facts, page = [], 1
        while True:
            batch = memory.get_all(**scope, page=page, page_size=1000)["results"]
            facts += batch
            if len(batch) < 1000:
                break
            page += 1
    else:
        facts = memory.neighbors(entity, **scope, hops=hops, limit=1000)["results"]
    graph = nx.MultiDiGraph()
    for f in facts:
        graph.add_node(f["source"], type=f.get("source_type") or "Thing")
        graph.add_node(f["target"], type=f.get("target_type") or "Thing")
        graph.add_edge(f["source"], f["target"], relationship=f["relationship"], memory=f["memory"])
    return graph


def draw(graph: Any, out: str | Path, *, title: str | None = None) -> Path:
    """Draw `graph` (from `current_graph`) to a PNG file and return its path."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError("drawing needs matplotlib: pip install 'graphmem[viz]'") from exc
    if graph.number_of_nodes() == 0:
        raise ValidationError("nothing to draw: the scope has no current facts")
    out = Path(out)
    size = min(6 + graph.number_of_nodes() * 0.25, 24)
    fig, ax = plt.subplots(figsize=(size, size * 0.75), dpi=110)
    try:
        simple = nx.DiGraph(graph)
        pos = nx.spring_layout(simple, seed=7, k=1.6 / max(1, simple.number_of_nodes()) ** 0.5)
        colours = [_COLOURS.get(graph.nodes[n].get("type"), _OTHER) for n in simple.nodes]
        nx.draw_networkx_nodes(simple, pos, node_color=colours, node_size=1300, ax=ax)
        nx.draw_networkx_labels(simple, pos, font_size=9, ax=ax)
        nx.draw_networkx_edges(
            simple,
            pos,
            ax=ax,
            arrows=True,
            arrowsize=16,
            node_size=1300,
            edge_color="#666666",
            connectionstyle="arc3,rad=0.08",
        )
        labels: dict[tuple[str, str], str] = {}
        for s, o, data in graph.edges(data=True):
            labels[(s, o)] = " / ".join(filter(None, [labels.get((s, o)), data["relationship"]]))
        nx.draw_networkx_edge_labels(
            simple, pos, edge_labels=labels, font_size=8, ax=ax, font_color="#333333"
        )
        types = sorted({graph.nodes[n].get("type") for n in graph.nodes})
        handles = [
            plt.Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=10,
                markerfacecolor=_COLOURS.get(t, _OTHER),
                markeredgecolor="none",
                label=t,
            )
            for t in types
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
        if title:
            ax.set_title(title)
        ax.set_axis_off()
        fig.tight_layout()
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    return out


def show(
    memory: Any,
    out: str | Path,
    *,
    entity: str | None = None,
    hops: int = 2,
    **scope: Any,
) -> dict[str, Any]:
    """Draw the scope's current graph (or `entity`'s neighbourhood) to `out` (PNG)."""
    graph = current_graph(memory, entity=entity, hops=hops, **scope)
    owner = next((v for v in scope.values() if v), "")
    title = f"{entity} (within {hops} hops) — {owner}" if entity else f"current memory of {owner}"
    path = draw(graph, out, title=title)
    return {"path": str(path), "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}

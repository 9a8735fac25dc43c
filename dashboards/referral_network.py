"""The referral network (转派网络): which departments passed cases to which, and how often.

A node is a department (property managers together); an edge ``a → b`` counts the hops of cases
dispatched to ``a`` and then to ``b`` (after ``a`` declined, or after a re-dispatch): the
buck-passing of the paper (交警 → 绿化所 → 交警).

Example:
    >>> from collections import Counter
    >>> g = referral_graph(Counter({("traffic_police", "greening"): 3,
    ...                             ("greening", "traffic_police"): 2}))
    >>> g["traffic_police"]["greening"]["weight"], g.number_of_nodes()
    (3, 2)
"""

from __future__ import annotations

import textwrap
from collections import Counter

import networkx as nx
from matplotlib.figure import Figure

from coordination.words import Lang, t
from dashboards.figures import new_figure, plot_lang, style


def referral_graph(hops: Counter[tuple[str, str]], workload: Counter[str] | None = None
                   ) -> nx.DiGraph:
    """A directed graph of hops between handlers; node attribute ``orders`` from ``workload``."""
    graph = nx.DiGraph()
    for (a, b), n in hops.items():
        graph.add_edge(a, b, weight=n)
    for node in graph.nodes:
        graph.nodes[node]["orders"] = (workload or Counter())[node]
    return graph


def draw_referrals(graph: nx.DiGraph, labels: dict[str, str], *, lang: Lang = "en",
                   width: float = 6.4, height: float = 4.4) -> Figure:
    """The network on a circle: edge width by hops, node size by work orders received."""
    lang = plot_lang(lang)
    fig = new_figure(width, height)
    ax = fig.subplots()
    ax.axis("off")
    if graph.number_of_edges() == 0:
        ax.text(0.5, 0.5, t("no_referrals", lang), ha="center", va="center", transform=ax.transAxes)
        return fig
    family = style()["font.family"]  # networkx would ask for plain "sans-serif"
    positions = nx.circular_layout(sorted(graph.nodes))
    weights = [graph[a][b]["weight"] for a, b in graph.edges]
    top = max(weights)
    orders = [graph.nodes[n].get("orders", 0) for n in graph.nodes]
    most = max(orders) or 1
    nx.draw_networkx_nodes(graph, positions, ax=ax, node_color="#c6dbef", edgecolors="#3b5b92",
                           node_size=[300 + 1500 * o / most for o in orders])
    nx.draw_networkx_edges(graph, positions, ax=ax, width=[0.8 + 5 * w / top for w in weights],
                           edge_color="#6a3d9a", alpha=0.75, arrows=True, arrowsize=14,
                           connectionstyle="arc3,rad=0.15", node_size=900)
    nx.draw_networkx_edge_labels(graph, positions, ax=ax, connectionstyle="arc3,rad=0.15",
                                 edge_labels={(a, b): graph[a][b]["weight"] for a, b in graph.edges},
                                 font_size=8, font_family=family)
    for node, (x, y) in positions.items():  # names outside the circle, clear of the nodes
        ax.text(1.2 * x, 1.2 * y, textwrap.fill(labels.get(node, node), 24), fontsize=8,
                family=family, ha="left" if x > 0.2 else "right" if x < -0.2 else "center",
                va="bottom" if y > 0.2 else "top" if y < -0.2 else "center")
    ax.set_xlim(-1.9, 1.9)
    ax.set_ylim(-1.45, 1.45)
    return fig


def draw_workload(orders: Counter[str], labels: dict[str, str], *, lang: Lang = "en",
                  width: float = 6.4) -> Figure:
    """The share of work orders each department (property managers together) received, with
    its whole name, the most first.

    Example:
        >>> fig = draw_workload(Counter({"a": 3, "b": 1}), {"a": "Traffic police", "b": "Greening"})
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
        ['Traffic police', 'Greening']
    """
    lang = plot_lang(lang)
    total = sum(orders.values()) or 1
    keys = sorted(labels, key=lambda k: (-orders.get(k, 0), labels[k]))
    fig = new_figure(width, 0.5 + 0.2 * len(keys))
    ax = fig.subplots()
    ax.barh(range(len(keys)), [orders.get(k, 0) / total for k in keys], color="#3b5b92")
    ax.set_yticks(range(len(keys)), [textwrap.shorten(labels[k], 60, placeholder="…") for k in keys],
                  fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"], fontsize=7.5)
    ax.set_title(t("workload_title", lang), loc="left", fontsize=9.5)
    return fig

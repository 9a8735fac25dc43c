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
    nx.draw_networkx_labels(graph, positions, ax=ax, font_size=8.5, font_family=family,
                            labels={n: labels.get(n, n) for n in graph.nodes})
    ax.margins(0.18)
    return fig

"""Pictures of Petri nets and of their reachability (or coverability) graphs.

:func:`draw_net` draws places as circles holding token dots (a number past four tokens, ω
for "unbounded"), transitions as bars, arcs as arrows labelled with their weight when it is
more than one; transitions enabled in the shown marking are filled green. Positions come
from ``net.positions`` (layout as data) when the net has them.

:func:`draw_state_graph` draws a reachability graph layer by layer (breadth-first distance
from the initial marking); deadlocks are red and labelled, the initial marking has a blue ring.

Colours come from :mod:`dsysedu.viz.style`: enabled = Okabe-Ito bluish green, a deadlock =
``style.FAULT``, the initial marking = Okabe-Ito blue, disabled transitions = ``style.PAUSED``.
"""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Polygon

from dsysedu.viz import style

__all__ = ["draw_net", "draw_state_graph", "net_positions", "ENABLED", "DISABLED", "DEADLOCK", "INITIAL"]

ENABLED = style.OKABE_ITO["bluish_green"]   # a transition that may fire now
DISABLED = style.PAUSED                     # a transition that may not
DEADLOCK = style.FAULT                      # a marking where nothing may fire
INITIAL = style.OKABE_ITO["blue"]           # the initial marking


def _axes(ax, size):
    if ax is None:  # a pyplot figure, so that a notebook shows it (as the other views do)
        import matplotlib.pyplot as plt
        _fig, ax = plt.subplots(figsize=size)
    return ax


def net_positions(net) -> dict:
    """``{name: (x, y)}`` for every place and transition: ``net.positions`` when complete, else a
    layout of the net's bipartite graph from :func:`dsysedu.viz.style.layout`."""
    names = list(net.places) + list(net.transitions)
    if all(n in net.positions for n in names):
        return {n: np.asarray(net.positions[n], dtype=float) for n in names}
    g = nx.Graph()
    g.add_nodes_from(names)
    g.add_edges_from((a, b) for a, b, _ in net.arcs())
    pos = style.layout(g)
    return {n: np.asarray(pos[n], dtype=float) * 3.0 for n in names}


def _token_dots(ax, c, r, k, zorder):
    if k == math.inf:
        ax.text(*c, "ω", ha="center", va="center", fontsize=style.FONT["label"] + 2, zorder=zorder)
        return
    k = int(k)
    if k == 0:
        return
    if k > 4:
        ax.text(*c, str(k), ha="center", va="center", fontsize=style.FONT["label"] + 1, fontweight="bold",
                zorder=zorder)
        return
    offsets = {1: [(0, 0)], 2: [(-.4, 0), (.4, 0)], 3: [(-.4, -.3), (.4, -.3), (0, .4)],
               4: [(-.4, -.4), (.4, -.4), (-.4, .4), (.4, .4)]}[k]
    for dx, dy in offsets:
        ax.add_patch(Circle((c[0] + dx * r, c[1] + dy * r), r * 0.22, color="black", zorder=zorder))


def draw_net(net, marking=None, ax=None, title: str | None = None, show_enabled: bool = True,
             place_radius: float | None = None, label_size: float | None = None):
    """Draw ``net`` in ``marking`` (default: its initial marking).

    Parameters
    ----------
    net : dsysedu.formal.petri.PetriNet
    marking : tuple or dict, optional
    ax : matplotlib Axes, optional
    title : str, optional
        Default: the net's name.
    show_enabled : bool
        Fill the transitions enabled in ``marking`` green (the others grey).
    place_radius, label_size : float, optional
        Sizes in data units and points (defaults scale with the spread of the positions).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from dsysedu.formal.petri import dining_philosophers
    >>> ax = draw_net(dining_philosophers(3))
    >>> ax.get_title()
    'dining philosophers, n=3'
    """
    marking = net.initial if marking is None else net.marking(marking)
    pos = net_positions(net)
    xy = np.array(list(pos.values()))
    ax = _axes(ax, (7, 7) if len(xy) <= 24 else (8.5, 8.5))
    span = max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 1.0)
    # the closest pair of nodes sets the size, so nothing overlaps
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.eye(len(xy)) * 1e9
    r = place_radius or min(0.3 * d.min(), 0.06 * span)
    fs = label_size or style.FONT["small"]
    enabled = set(net.enabled(marking)) if show_enabled else set()
    bar_len, bar_w = 2.0 * r, 0.45 * r

    # bars lie across the flow: perpendicular to (mean output - mean input)
    axis = {}
    for t in net.transitions:
        ins = [pos[p] for p in net.inputs(t)] or [pos[t]]
        outs = [pos[p] for p in net.outputs(t)] or [pos[t]]
        flow = np.mean(outs, 0) - np.mean(ins, 0)
        if np.linalg.norm(flow) < 1e-9:
            flow = np.array([1.0, 0.0])
        flow = flow / np.linalg.norm(flow)
        axis[t] = (flow, np.array([-flow[1], flow[0]]))

    def boundary(name, toward):
        """Where a line from ``name`` toward the point ``toward`` leaves its circle or bar."""
        c = pos[name]
        v = toward - c
        n = np.linalg.norm(v) or 1.0
        v = v / n
        if name in axis:
            f, across = axis[name]
            a, b = abs(v @ f), abs(v @ across)
            s = min((bar_w / 2) / a if a > 1e-9 else 1e9, (bar_len / 2) / b if b > 1e-9 else 1e9)
            return c + v * s
        return c + v * r

    for src, dst, w in net.arcs():
        a = boundary(src, pos[dst])
        b = boundary(dst, pos[src])
        back = any(s == dst and t == src for s, t, _ in net.arcs())  # a self-loop pair: bend both
        arrow = FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, lw=0.9, color=style.ARC,
                                connectionstyle=f"arc3,rad={0.25 if back else 0.0}", zorder=1,
                                shrinkA=0, shrinkB=0)
        ax.add_patch(arrow)
        if w > 1:
            mid = (a + b) / 2
            ax.text(*mid, str(w), fontsize=fs, ha="center", va="center", zorder=4,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))

    for i, p in enumerate(net.places):
        c = pos[p]
        ax.add_patch(Circle(c, r, facecolor="white", edgecolor="black", lw=1.3, zorder=2))
        _token_dots(ax, c, r, marking[i], zorder=3)
        ax.text(c[0], c[1] - r * 1.25, p, ha="center", va="top", fontsize=fs, zorder=5)
    for t in net.transitions:
        c = pos[t]
        f, across = axis[t]
        corners = [c + sf * f * bar_w / 2 + sa * across * bar_len / 2 for sf, sa in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
        on = t in enabled
        ax.add_patch(Polygon(corners, closed=True, facecolor=ENABLED if on else (DISABLED if show_enabled else "black"),
                             edgecolor="black", lw=1.0, zorder=2))
        # the label sits past the end of the bar that points away from the bar's neighbours
        near = np.mean([pos[p] for p in list(net.inputs(t)) + list(net.outputs(t))] or [c], 0)
        side = across if (c - near) @ across >= 0 else -across
        at = c + side * (bar_len / 2 + 0.35 * r)
        ax.text(*at, t, ha="left" if side[0] > 0.3 else ("right" if side[0] < -0.3 else "center"),
                va="bottom" if side[1] > 0.3 else ("top" if side[1] < -0.3 else "center"), fontsize=fs, zorder=5,
                color="black", fontweight="bold" if on else "normal")
    ax.set_xlim(xy[:, 0].min() - 2 * r, xy[:, 0].max() + 3 * r)
    ax.set_ylim(xy[:, 1].min() - 2.5 * r, xy[:, 1].max() + 2 * r)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(net.name if title is None else title, fontsize=style.FONT["title"])
    if show_enabled:
        handles = [Line2D([], [], marker="s", ls="", color=ENABLED, mec="black", label="enabled"),
                   Line2D([], [], marker="s", ls="", color=DISABLED, mec="black", label="not enabled"),
                   Line2D([], [], marker="o", ls="", color="black", ms=4, label="token")]
        ax.legend(handles=handles, loc="lower right", fontsize=style.FONT["legend"], frameon=False)
    return ax


def _layers(g, start):
    dist = nx.single_source_shortest_path_length(g, start)
    layers = {}
    for m in sorted(g, key=lambda m: (dist.get(m, 10 ** 9), m)):
        layers.setdefault(dist.get(m, max(dist.values()) + 1), []).append(m)
    pos, order = {}, {}
    for depth in sorted(layers):
        row = layers[depth]
        if depth > 0:  # barycentre of the parents' places: fewer crossings
            row.sort(key=lambda m: (np.mean([order[p] for p in g.predecessors(m) if p in order] or [0.5]), m))
        k = len(row)
        for i, m in enumerate(row):
            order[m] = (i + 0.5) / k
            pos[m] = np.array([(i - (k - 1) / 2) * 1.0, -depth * 1.6])
    return pos


def draw_state_graph(graph, ax=None, title: str | None = None, labels: bool | None = None,
                     label=None, highlight=None, edge_labels: bool | None = None):
    """Draw a reachability or coverability graph, deadlocks marked.

    Parameters
    ----------
    graph : networkx.DiGraph
        From :func:`dsysedu.formal.petri.reachability_graph` or ``coverability_graph``.
    ax : matplotlib Axes, optional
    title : str, optional
    labels : bool, optional
        Write each marking beside its node (default: when there are at most 16 nodes).
    label : callable, optional
        ``marking -> str`` for the labels (default: the node's ``label`` attribute).
    highlight : iterable of markings, optional
        Markings to mark as deadlocks (default: the nodes with no successor).
    edge_labels : bool, optional
        Name the transitions along the edges (default: when there are at most 10 edges).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from dsysedu.formal.petri import dining_philosophers, reachability_graph
    >>> ax = draw_state_graph(reachability_graph(dining_philosophers(2)))
    >>> "1 deadlock" in ax.get_title()
    True
    """
    start = graph.graph.get("initial", next(iter(graph)))
    pos = _layers(graph, start)
    dead = set(highlight) if highlight is not None else {m for m in graph if graph.out_degree(m) == 0}
    n = graph.number_of_nodes()
    labels = n <= 16 if labels is None else labels
    width = max(np.ptp([p[0] for p in pos.values()]) if pos else 1, 4)
    depth = max(-min(p[1] for p in pos.values()), 1) if pos else 1
    ax = _axes(ax, (min(14, 2 + width * 0.9), min(10, 2 + depth * 0.55)))
    size = 260 if n <= 16 else (90 if n <= 60 else 40)
    edge_labels = graph.number_of_edges() <= 10 if edge_labels is None else edge_labels
    for a, b, data in graph.edges(data=True):
        names = ", ".join(data.get("transitions", ()))
        if a == b:  # a transition that leaves the marking as it is (or ω as it is)
            if edge_labels:
                ax.annotate(f"\u21ba {names}", pos[a], xytext=(-9, 4), textcoords="offset points", ha="right",
                            fontsize=style.FONT["small"], color=style.ANNOTATION, fontstyle="italic")
            continue
        if edge_labels and names:  # beside the edge, on the side its curve bends to (arc3: (dy, -dx))
            pa, pb = np.asarray(pos[a]), np.asarray(pos[b])
            d = pb - pa
            side = np.array([d[1], -d[0]]) / (np.linalg.norm(d) or 1.0)
            mid = (pa + pb) / 2 + side * 0.12
            ax.text(*mid, names, fontsize=style.FONT["small"] - 1, color=style.ANNOTATION, fontstyle="italic",
                    ha="left" if side[0] > 0.1 else ("right" if side[0] < -0.1 else "center"),
                    va="bottom" if side[1] > 0.1 else ("top" if side[1] < -0.1 else "center"), zorder=1)
        ax.add_patch(FancyArrowPatch(pos[a], pos[b], arrowstyle="-|>", mutation_scale=7 if n > 30 else 10,
                                     lw=0.6 if n > 30 else 0.9, color=style.EDGE, alpha=0.8, zorder=1,
                                     shrinkA=5, shrinkB=5, connectionstyle="arc3,rad=0.08"))
    nodes = list(graph)
    xy = np.array([pos[m] for m in nodes])
    colours = [DEADLOCK if m in dead else ("white" if n <= 16 else style.UNMARKED) for m in nodes]
    ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colours, edgecolors="black", linewidths=0.8, zorder=2)
    ax.scatter(*pos[start], s=size * 2.2, facecolors="none", edgecolors=INITIAL, linewidths=2.2, zorder=3)
    text = label or (lambda m: graph.nodes[m].get("label", str(m)))
    short = max(len(text(m)) for m in nodes) <= 10  # short labels go under their node, long ones beside it
    for m in nodes:
        if labels or m in dead:
            ax.annotate(text(m), pos[m], xytext=(0, -9) if short else (11, -3), textcoords="offset points",
                        ha="center" if short else "left", va="top" if short else "baseline",
                        fontsize=style.FONT["small"] + (1 if short else 0),
                        color=DEADLOCK if m in dead else "black", fontweight="bold" if m in dead else "normal",
                        zorder=4, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    if dead:
        d = np.array([pos[m] for m in dead])
        ax.scatter(d[:, 0], d[:, 1], s=size * 1.8, c=DEADLOCK, edgecolors="black", linewidths=1.0, zorder=3)
    ax.set_xlim(xy[:, 0].min() - 1.0, xy[:, 0].max() + (3.5 if (labels or dead) and not short else 1.0))
    ax.set_ylim(xy[:, 1].min() - 0.8, 0.8)
    ax.axis("off")
    k = len(dead)
    default = (f"{graph.graph.get('net') or 'state graph'}: {n} markings, "
               f"{k} deadlock{'s' if k != 1 else ''}")
    ax.set_title(default if title is None else title, fontsize=style.FONT["title"])
    handles = [Line2D([], [], marker="o", ls="", mfc="none", mec=INITIAL, mew=2, ms=9, label="initial marking")]
    if dead:
        handles.append(Line2D([], [], marker="o", ls="", color=DEADLOCK, mec="black", label="deadlock (nothing enabled)"))
    ax.legend(handles=handles, loc="upper right", fontsize=style.FONT["legend"], frameon=False)
    return ax

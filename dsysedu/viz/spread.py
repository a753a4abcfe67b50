"""The gossip spread, drawn: the network coloured by who knows the rumor, and the infection curve.

:class:`SpreadView` replays a finished run of :class:`~dsysedu.protocols.membership.gossip.Gossip`: nodes
coloured by their epidemic ``state`` (susceptible / infective / removed; crashed nodes grey with a
cross), and beside them the informed (and removed) nodes against time with a "now" marker. Its
style follows N (:func:`spread_style`): up to :data:`LARGE_N` nodes the graph with its links;
above, links are a hairball, so nodes sit on a disc by hops from the origin (:func:`hop_layout`),
marker size follows N, and the artists drawn do not grow with N. :func:`spread_figure` is a still,
:func:`spread_html` a short offline animation, :func:`spread_moments` a few moments side by side.
"""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.ticker import MaxNLocator

from dsysedu.protocols.membership.gossip import INFECTIVE, REMOVED, pittel_rounds
from dsysedu.sim.validate import positive_int
from dsysedu.sim.scenario import sort_key
from dsysedu.viz import style
from .animate import AnimationHTML, check_frames, replay_html
from .topology import TopologyView

__all__ = ["LARGE_N", "spread_style", "hop_layout", "spread_curves", "spread_axes", "SpreadView", "spread_figure",
           "spread_html", "spread_moments"]


LARGE_N = 300  # above this many nodes a picture of links is a hairball: the large style takes over


def spread_style(n: int) -> dict:
    """How to draw a rumor spreading over ``n`` nodes, chosen by N alone.

    Up to :data:`LARGE_N` nodes (the *small* style): the topology's own layout, links drawn,
    messages in flight as dots up to 300 nodes, node ids up to 40. Above (the *large* style): no
    links and no message dots; nodes sit on a disc by hop distance from the origin
    (:func:`hop_layout`), with markers sized so that they nearly touch, and the infection curve
    beside carries the numbers.

    Examples
    --------
    >>> spread_style(20)["layout"], spread_style(2000)["layout"], spread_style(2000)["links"]
    ('force', 'hops', False)
    """
    n = positive_int("n", int(n))
    large = n > LARGE_N
    return {"large": large, "layout": "hops" if large else "force", "links": not large,
            "messages": not large, "labels": n <= 40}


def hop_layout(graph: nx.Graph, origin=0) -> dict:
    """Positions on a unit disc, the origin at the centre and nodes farther out the more hops away.

    Nodes are sorted by (hops from ``origin``, id) and placed along a sunflower spiral (Vogel 1979),
    which spreads them evenly over the disc; nodes that cannot be reached go to the rim. Linear in
    the size of the graph, so 2,000 nodes take milliseconds; the same graph always gives the same
    positions (no randomness).

    Examples
    --------
    >>> pos = hop_layout(nx.path_graph(5), origin=0)
    >>> bool(np.hypot(*pos[0]) < np.hypot(*pos[4]))
    True
    """
    if origin not in graph:
        raise ValueError(f"origin must be a node of the graph, got {origin!r}")
    hops = nx.single_source_shortest_path_length(graph, origin)
    order = sorted(graph.nodes, key=lambda v: (hops.get(v, math.inf), sort_key(v)))
    n = len(order)
    i = np.arange(n)
    r, a = np.sqrt((i + 0.5) / n), i * math.pi * (3 - math.sqrt(5))
    xy = np.c_[r * np.sin(a), r * np.cos(a)]
    return {v: xy[k] for k, v in enumerate(order)}


def _hop_rings(graph, origin, most=5, gap=0.12) -> list:
    """(radius, hops) of circles between the hop shells of :func:`hop_layout` that are worth a label:
    at most ``most``, at least ``gap`` apart, none in the crowded centre or at the rim."""
    hops = nx.single_source_shortest_path_length(graph, origin)
    n = graph.number_of_nodes()
    sizes = np.bincount(np.fromiter(hops.values(), np.int64, len(hops)))
    within = np.cumsum(sizes)[:-1]                    # nodes within h hops, for h = 0 .. max - 1
    rings, last = [], 0.0
    for h in range(1, len(within)):
        r = math.sqrt(within[h] / n)
        if 0.15 <= r <= 0.93 and r - last >= gap:
            rings.append((r, h))
            last = r
    if len(rings) > most:  # a long path or ring: evenly spread picks
        rings = [rings[i] for i in np.unique(np.linspace(0, len(rings) - 1, most).round().astype(int))]
    return rings


def spread_curves(trace) -> pd.DataFrame:
    """Informed and removed counts after each change of a gossip run: columns time, informed, removed."""
    first, removed = {}, []
    for r in trace.rows:
        if r[1] == "observe":
            if r[5] == "informed" and r[2] not in first:
                first[r[2]] = r[0]
            elif r[5] == "state" and r[6] == REMOVED:
                removed.append(r[0])
    times = sorted({0.0, *first.values(), *removed})
    f, rm = np.sort(np.fromiter(first.values(), float, len(first))), np.sort(np.array(removed, float))
    return pd.DataFrame({"time": times, "informed": np.searchsorted(f, times, side="right"),
                         "removed": np.searchsorted(rm, times, side="right")})


def spread_axes(fig):
    """The two Axes of a spread picture on ``fig``: topology (left), infection curve (right)."""
    gs = fig.add_gridspec(1, 2, width_ratios=(1.3, 1), left=0.01, right=0.98, bottom=0.16, top=0.88, wspace=0.2)
    return fig.add_subplot(gs[0]), fig.add_subplot(gs[1])


class SpreadView:
    """A gossip run drawn for any time ``t``: the topology coloured by state, the infection curve beside.

    The style follows N (:func:`spread_style`): up to :data:`LARGE_N` nodes the graph with its links;
    above, a disc of nodes by hops from the origin without links, whose artists do not grow with N
    (one marker collection, at most six ring guides).

    Parameters
    ----------
    trace : Trace
        A finished gossip run (observations ``state`` and ``informed``).
    ax_topo, ax_curve : matplotlib Axes, optional
        Where to draw; both None makes a new figure (:func:`spread_axes`).
    origin : node id
    pos : dict, optional
        Positions for the small style (default: :func:`~dsysedu.viz.style.layout`; the large style
        always uses :func:`hop_layout`).
    live : int, optional
        Nodes that can be reached (N minus the crashed), drawn as a dashed line when below N.
    seed : int
        Seed of the small style's layout.

    Examples
    --------
    >>> from dsysedu.protocols.membership.gossip import gossip_scenario, run_to_full_spread
    >>> view = SpreadView(run_to_full_spread(gossip_scenario(30), seed=1))
    >>> _ = view.draw(3.0)
    >>> view.style["large"]
    False
    """

    def __init__(self, trace, ax_topo=None, ax_curve=None, origin=0, pos=None, live=None, seed=0):
        if (ax_topo is None) != (ax_curve is None):
            raise ValueError("give both ax_topo and ax_curve, or neither")
        if ax_topo is None:
            ax_topo, ax_curve = spread_axes(Figure(figsize=(12.0, 5.4), dpi=90))
        self.trace, self.ax_topo, self.ax_curve = trace, ax_topo, ax_curve
        self.fig = ax_topo.figure
        n = len(trace.nodes)
        self.style = st = spread_style(n)
        graph = trace.graph if trace.graph is not None else nx.complete_graph(trace.nodes)
        if st["large"]:
            pos = hop_layout(graph, origin)
        self.topo = TopologyView(trace, ax=ax_topo, color_by="state", legend=True, max_dots=300,
                                 show_messages=st["messages"], labels=st["labels"], seed=seed, pos=pos)
        self.rings, self.ring_labels = [], []
        if st["large"]:
            self.topo.edge_artist.set_visible(False)  # thousands of links: a grey smear, not information
            size = self._touching_size(n)
            self.topo.node_artist.set_sizes([size])
            self.topo.crash_artist.set_sizes([size * 0.5])
            self.topo.crash_artist.set_linewidth(0.6)
            for radius, h in _hop_rings(graph, origin):
                self.rings.append(ax_topo.add_patch(Circle((0, 0), radius, fill=False, lw=0.8, ls=(0, (2, 2)),
                                                           ec=style.ANNOTATION, alpha=0.7, zorder=3.5)))
                # labels on top of their circles: the rings are >= 0.12 apart, so the labels stack apart
                self.ring_labels.append(ax_topo.text(0.0, radius, f"≤ {h} hop{'s' if h > 1 else ''}",
                                                     fontsize=style.FONT["label"], color=style.INK, zorder=3.6,
                                                     ha="center", va="center", bbox=dict(
                                                         boxstyle="round,pad=0.25", facecolor="white",
                                                         edgecolor=style.ANNOTATION, lw=0.6)))
        self.caption = (f"{n:,} nodes, placed by hops from node {origin} (centre); links not drawn"
                        if st["large"] else " ")
        # the origin, where the rumor starts: a star over its node, above the colours
        ox, oy = self.topo.pos[origin]
        size = 260 if not st["large"] else 160
        self.origin_mark = ax_topo.scatter([ox], [oy], s=size, marker="*", facecolors=style.HIGHLIGHT,
                                           edgecolors=style.MARK, linewidths=0.9, zorder=4.6,
                                           label=f"origin (node {origin})")
        self._legend_below()
        self.curves = spread_curves(trace)
        self._draw_curve(n, n if live is None else int(live))

    def _legend_below(self) -> None:
        """The topology's legend in rows under the picture, where it cannot run into the curve."""
        leg = self.ax_topo.get_legend()
        if leg is None:
            return
        handles, labels = leg.legend_handles, [t.get_text() for t in leg.get_texts()]
        handles, labels = [*handles, self.origin_mark], [*labels, self.origin_mark.get_label()]
        leg.remove()
        self.ax_topo.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.0, 0.0), ncols=4,
                            fontsize=style.FONT["legend"], frameon=False, borderaxespad=0.2, handletextpad=0.3,
                            columnspacing=1.2)

    def _touching_size(self, n) -> float:
        """Marker area (points squared) at which the nodes of a sunflower disc nearly touch."""
        box = self.ax_topo.get_position()
        w, h = box.width * self.fig.get_figwidth() * 72, box.height * self.fig.get_figheight() * 72
        x0, x1 = self.ax_topo.get_xlim()
        y0, y1 = self.ax_topo.get_ylim()
        per_unit = min(w / (x1 - x0), h / (y1 - y0))
        return float(np.clip((0.85 * math.sqrt(math.pi / n) * per_unit) ** 2, 1.0, 60.0))

    def _draw_curve(self, n, live) -> None:
        ax, c, end = self.ax_curve, self.curves, self.trace.end_time
        times = [*c["time"], end]
        ax.step(times, [*c["informed"], c["informed"].iloc[-1]], where="post", lw=2,
                color=style.node_color(INFECTIVE), label="informed (heard it)")
        if c["removed"].iloc[-1] > 0:
            ax.step(times, [*c["removed"], c["removed"].iloc[-1]], where="post", lw=1.6,
                    color=style.node_color(REMOVED), label="removed (stopped telling)")
        ax.axhline(n, color=style.FAINT, lw=0.8, ls=":")
        if live < n:
            ax.axhline(live, color=style.CRASHED, lw=1, ls="--", label=f"live nodes ({live})")
        ax.axvline(pittel_rounds(n), color=style.ANNOTATION, lw=1, ls="-.", label="log2 N + ln N")
        ax.set_xlim(0, max(end, pittel_rounds(n) + 1))
        ax.set_ylim(0, n * 1.05)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("time (rounds of 1 s)")
        ax.set_ylabel("nodes")
        ax.set_title("infection curve", fontsize=style.FONT["title"], loc="left")
        ax.grid(alpha=0.3)
        self.now_line = ax.axvline(0.0, color=style.NOW_ON_CURVE, lw=1.2)
        self.now_dot, = ax.plot([0.0], [1], "o", color=style.NOW_ON_CURVE, ms=6, zorder=5)
        # above the axes, right of the title: it never covers the curve, however fast it rises
        self.now_text = ax.text(1.0, 1.015, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=10)
        ax.legend(loc="lower right", fontsize=9, framealpha=0.9)

    @property
    def moving(self) -> list:
        """The artists that :meth:`draw` changes (for blitting)."""
        t = self.topo
        return [t.node_artist, t.crash_artist, t.pause_artist, t.edge_artist, t.broken_artist, t.cut_artist,
                t.cut_marks, t.message_artist, t.title, *t.labels, *self.ring_labels,  # labels stay above the nodes
                self.origin_mark, self.now_line, self.now_dot, self.now_text]

    def informed_at(self, t: float) -> int:
        c = self.curves
        k = int(np.searchsorted(c["time"].to_numpy(), t + 1e-12, side="right")) - 1
        return int(c["informed"].iloc[max(k, 0)])

    def draw(self, t: float) -> list:
        """Show time ``t``; return the artists that changed."""
        t = float(t)
        self.topo.draw(t)
        first = self.topo.title.get_text().split("\n")[0]
        self.topo.title.set_text(first + "\n" + self.caption)  # the view keeps two lines; ours says the style
        k = self.informed_at(t)
        self.now_line.set_xdata([t, t])
        self.now_dot.set_data([t], [k])
        self.now_text.set_text(f"t = {t:.2f} s: {k:,} of {len(self.trace.nodes):,} informed")
        return self.moving


def spread_figure(trace, t, origin=0, live=None, seed=0, width=12.0, height=5.4):
    """The spread of ``trace`` at time ``t`` as a Figure (topology and infection curve), for notebooks.

    Examples
    --------
    >>> from dsysedu.protocols.membership.gossip import gossip_scenario, run_to_full_spread
    >>> fig = spread_figure(run_to_full_spread(gossip_scenario(30), seed=1), t=3.0)
    >>> len(fig.axes)
    2
    """
    fig = Figure(figsize=(width, height), dpi=90)
    ax_topo, ax_curve = spread_axes(fig)
    SpreadView(trace, ax_topo, ax_curve, origin=origin, live=live, seed=seed).draw(t)
    return fig


def spread_html(trace, frames=12, fps=3, origin=0, seed=0) -> AnimationHTML:
    """A short HTML animation of the spread (topology and infection curve), replayed from ``trace``.

    ``frames`` evenly spaced moments from 0 to the last informed node (at most ``MAX_FRAMES``).
    """
    check_frames(frames, fps)
    fig = Figure(figsize=(10.0, 4.5), dpi=72)
    view = SpreadView(trace, *spread_axes(fig), origin=origin, seed=seed)
    end = max(spread_curves(trace)["time"].iloc[-1], 1.0)
    return replay_html(fig, view.draw, np.linspace(0.0, end, frames), fps)


def spread_moments(trace, times, axes=None):
    """The network of a gossip run at a few moments, side by side, each titled with how many know.

    Nodes are coloured by their ``state``; the legend sits in the last panel.

    Parameters
    ----------
    trace : Trace
        A run of :class:`~dsysedu.protocols.membership.gossip.Gossip`.
    times : sequence of float
    axes : sequence of matplotlib Axes, optional
        One per time; default a new row of panels.

    Returns
    -------
    numpy.ndarray of Axes

    Examples
    --------
    >>> from dsysedu.protocols.membership.gossip import gossip_scenario, run_to_full_spread
    >>> axes = spread_moments(run_to_full_spread(gossip_scenario(12), seed=1), (0.0, 3.0))
    >>> axes[0].get_title(loc="left")
    't = 0.0 s: 1 of 12 informed'
    """
    from .topology import topology

    times = list(times)
    if not times:
        raise ValueError("spread_moments needs at least one time")
    if axes is None:
        import matplotlib.pyplot as plt
        _, axes = plt.subplots(1, len(times), figsize=(4.0 * len(times), 4.0), layout="constrained")
    axes = np.atleast_1d(axes)
    if len(axes) != len(times):
        raise ValueError(f"{len(times)} times need {len(times)} Axes, not {len(axes)}")
    curve, n = spread_curves(trace), len(trace.nodes)
    for i, (ax, t) in enumerate(zip(axes, times)):
        topology(trace, t, ax=ax, color_by="state", show_messages=False, legend=(i == len(times) - 1))
        informed = int(curve["informed"][curve["time"] <= t].max())
        ax.set_title(f"t = {t:.1f} s: {informed} of {n} informed", loc="left", fontsize=style.FONT["title"] - 1)
    return axes

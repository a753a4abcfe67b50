"""Topology view: the network at one moment of a run.

Nodes sit where :func:`~dsysedu.viz.style.layout` puts them, filled with the colour of
an observed value (``role`` by default); crashed nodes are grey and crossed out, paused
nodes hatched; links between the sides of a partition are drawn broken (red, dashed,
with a gap in the middle), a one-way cut link is red on the sender's side and ends in a
cross before the receiver; messages on the wire are dots that travel along their link.

:class:`TopologyView` draws once and then only updates its artists for each new time,
so a slider or an animation can scrub through a run; :func:`topology` is the one-call
version. Views read a finished :class:`~dsysedu.sim.Trace` and never run anything.
"""
from __future__ import annotations

from numbers import Real

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from dsysedu.sim.scenario import sort_key
from dsysedu.viz import style
from ._index import TraceIndex, as_trace, format_groups

__all__ = ["topology", "TopologyView"]

_EMPTY = np.empty((0, 2))


class TopologyView:
    """A topology picture of one trace that redraws itself for any time ``t``.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
        A finished run (or ``trace.to_frame()``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    color_by : str
        The observed key whose value fills each node (``"role"``, ``"informed"``, ``"term"``...).
        Numbers get a colour map with a colour bar; anything else gets the style colours.
    pos : dict, optional
        node -> (x, y); default :func:`~dsysedu.viz.style.layout` of the trace's graph.
    show_messages : bool
        Draw messages in flight as dots.
    labels : bool
        Write node ids on the nodes (only when they fit: up to 40 nodes).
    legend : bool
        Add a legend (outside the axes, on the right).
    max_dots : int
        Above this many messages in flight the dots are skipped (the title says how many).
    seed : int
        Seed of the layout.

    Attributes
    ----------
    node_artist : PathCollection
        One marker per node, in ``trace.nodes`` order (``gid="nodes"``).
    edge_artist, broken_artist, cut_artist : LineCollection
        Ordinary links, links cut by a partition (two half segments each), one-way cut links.
    crash_artist, pause_artist, cut_marks, message_artist : PathCollection
        Crosses on crashed nodes, hatching on paused nodes, crosses on cut links, message dots.
    shown_messages : int
        How many message dots the last :meth:`draw` showed.

    Examples
    --------
    >>> from dsysedu import Scenario, run, Crash
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> trace = run(Scenario(Flood, nodes=5, faults=[Crash(3, at=0.0)], until=1.0), seed=1)
    >>> view = TopologyView(trace)
    >>> _ = view.draw(0.005)   # move the slider: only the artists change
    >>> _ = view.draw(0.02)
    """

    def __init__(self, trace, ax=None, color_by="role", pos=None, show_messages=True, labels=True,
                 legend=True, max_dots=400, seed=0):
        self.trace = as_trace(trace)
        self.idx = TraceIndex(self.trace)
        self.color_by = color_by
        self.show_messages = show_messages
        self.max_dots = int(max_dots)
        self.t = None
        self.shown_messages = 0
        nodes = self.trace.nodes
        n = len(nodes)
        self.sizes = sc = style.scale_for(n)
        if ax is None:
            import matplotlib.pyplot as plt
            side = 5.0 if n <= 40 else 6.5
            _fig, ax = plt.subplots(figsize=(side + (2.0 if legend else 0.0), side), layout="constrained")
        self.ax = ax
        self.fig = ax.figure
        graph = self.trace.graph
        if graph is None:
            import networkx as nx
            graph = nx.complete_graph(nodes)
        if pos is None:
            pos = style.layout(graph, seed=seed)
        missing = [v for v in nodes if v not in pos]
        if missing:
            raise ValueError(f"pos has no position for node(s) {missing[:5]}; give every node of the trace a position")
        self.pos = pos
        self.xy = np.array([pos[v] for v in nodes], dtype=float).reshape(-1, 2)
        index = self.idx.index
        self.edges = [(u, v) for u, v in graph.edges if u != v and u in index and v in index]
        self._eu = np.array([index[u] for u, _ in self.edges], dtype=np.int64)
        self._ev = np.array([index[v] for _, v in self.edges], dtype=np.int64)

        self._crashed_rgba = np.array(matplotlib.colors.to_rgba(style.CRASHED))
        self._colour_tables()

        ax.set_aspect("equal")
        ax.set_anchor("W")  # keep the legend (outside, right) next to the drawing, inside the figure
        ax.set_axis_off()
        pad = 0.12 if n <= 12 else 0.05
        if n:
            lo, hi = self.xy.min(0), self.xy.max(0)
            span = np.maximum(hi - lo, 1e-9)
            ax.set_xlim(lo[0] - pad * span.max() - 0.02, hi[0] + pad * span.max() + 0.02)
            ax.set_ylim(lo[1] - pad * span.max() - 0.02, hi[1] + pad * span.max() + 0.02)

        segs = np.stack([self.xy[self._eu], self.xy[self._ev]], axis=1) if self.edges else np.empty((0, 2, 2))
        self._segs = segs
        # alpha lives in the RGBA colours (not the collection), so single links can be hidden
        self._edge_rgba = np.array(matplotlib.colors.to_rgba(style.EDGE, sc["edge_alpha"]))
        self.edge_artist = LineCollection(segs, colors=self._edge_rgba, linewidths=sc["edge_width"], zorder=1,
                                          gid="edges")
        ax.add_collection(self.edge_artist)
        self.broken_artist = LineCollection([], colors=style.FAULT, linewidths=max(1.0, sc["edge_width"]),
                                            linestyles=(0, (3, 2)), alpha=min(1.0, sc["edge_alpha"] + 0.3),
                                            zorder=1.5, gid="broken_links")
        ax.add_collection(self.broken_artist)
        self.cut_artist = LineCollection([], colors=style.FAULT, linewidths=max(1.2, sc["edge_width"] * 1.5),
                                         zorder=1.6, gid="cut_links")
        ax.add_collection(self.cut_artist)
        self.cut_marks = ax.scatter([], [], marker="x", s=max(30, sc["dot_size"] * 1.2), c=style.FAULT,
                                    linewidths=2, zorder=1.7, gid="cut_marks")
        self.node_artist = ax.scatter(self.xy[:, 0], self.xy[:, 1], s=sc["node_size"],
                                      c=np.tile(self._table[-1], (n, 1)), edgecolors=style.OUTLINE,
                                      linewidths=sc["node_edge"], zorder=3, gid="nodes")
        self.pause_artist = ax.scatter([], [], s=sc["node_size"], facecolors="none", edgecolors=style.OUTLINE_SOFT,
                                       hatch="////", linewidths=max(1.0, sc["node_edge"]), linestyle="--",
                                       zorder=3.2, gid="pause_marks")
        self.crash_artist = ax.scatter([], [], s=sc["node_size"] * 0.55, marker="x", c=style.MARK,
                                       linewidths=2.5 if n <= 40 else 1.0, zorder=3.4, gid="crash_marks")
        self.message_artist = ax.scatter([], [], s=sc["dot_size"], edgecolors="white",
                                         linewidths=0.6 if n <= 40 else 0.0, zorder=4, gid="messages")
        self.labels = []
        if labels and sc["labels"]:
            for v, (x, y) in zip(nodes, self.xy):
                self.labels.append(ax.text(x, y, str(v), ha="center", va="center", fontsize=sc["label_size"],
                                           zorder=5, clip_on=True))
        self.title = ax.set_title(" \n ", fontsize=style.FONT["title"], loc="left")
        self.colorbar = None
        if legend:
            self._legend()

    def _colour_tables(self) -> None:
        """Colour of each distinct value of ``color_by`` (categorical or numeric) and of each message."""
        _t, _w, _c, values = self.idx.observations(self.color_by)
        real = [v for v in values if v is not None]
        self.numeric = bool(real) and all(isinstance(v, Real) and not isinstance(v, bool) for v in real)
        if self.numeric:
            self.vmin, self.vmax = float(min(real)), float(max(real))
            table = [style.numeric_color(v, self.vmin, self.vmax) for v in values]
        else:
            table = [matplotlib.colors.to_rgba(style.node_color(v)) for v in values]
        # the last row is "no value yet", picked by code -1
        self._table = np.array(table + [matplotlib.colors.to_rgba(style.NO_VALUE)], dtype=float).reshape(-1, 4)
        self._values = values
        self._msg_rgba = np.array([matplotlib.colors.to_rgba(style.message_color(tn)) for tn in self.idx.m_type],
                                  dtype=float).reshape(-1, 4)

    # -- drawing ----------------------------------------------------------------
    def draw(self, t: float) -> list:
        """Show the network at time ``t``; return the artists that changed.

        A trace that grew since the last call (a step-mode run) is indexed again first.
        """
        if self.idx.stale():
            self.idx = TraceIndex(self.trace)
            self._colour_tables()
        t = float(t)
        self.t = t
        idx = self.idx
        nodes = self.trace.nodes
        index = idx.index
        status = idx.status_at(t)

        codes = idx.codes_at(self.color_by, t)
        face = self._table[codes]  # code -1 picks the last row: "no value"
        down = np.array([index[v] for v in status["crashed"] if v in index], dtype=np.int64)
        if len(down):
            face[down] = self._crashed_rgba
        self.node_artist.set_facecolors(face)
        self.crash_artist.set_offsets(self.xy[down] if len(down) else _EMPTY)
        paused = np.array([index[v] for v in status["paused"] if v in index], dtype=np.int64)
        self.pause_artist.set_offsets(self.xy[paused] if len(paused) else _EMPTY)
        for lab, fc in zip(self.labels, face):
            lab.set_color(style.text_color_on(fc))
            lab.set_bbox(None)
        for i in down:
            if i < len(self.labels):   # the number stays readable on top of the dark cross
                self.labels[i].set_color(style.INK)
                self.labels[i].set_bbox(_CRASHED_LABEL_BOX)

        # links: partition and one-way cuts
        groups = status["groups"]
        colors = np.tile(self._edge_rgba, (len(self.edges), 1))
        if groups is not None and len(self.edges):
            side = np.full(len(nodes), -1, dtype=np.int64)
            for g, members in enumerate(groups):
                for v in members:
                    if v in index:
                        side[index[v]] = g
            across = side[self._eu] != side[self._ev]
            colors[across, 3] = 0.0  # hidden in the ordinary collection, drawn broken instead
            a, b = self._segs[across, 0], self._segs[across, 1]
            gap = 0.07  # half the gap, as a fraction of the link
            mid1 = a + (b - a) * (0.5 - gap)
            mid2 = a + (b - a) * (0.5 + gap)
            broken = np.concatenate([np.stack([a, mid1], 1), np.stack([mid2, b], 1)])
        else:
            broken = np.empty((0, 2, 2))
        self.edge_artist.set_colors(colors)
        self.broken_artist.set_segments(broken)
        cut = [(index[u], index[v]) for u, v in sorted(status["cut"], key=repr) if u in index and v in index]
        if cut:
            cu = np.array(cut, dtype=np.int64)
            a, b = self.xy[cu[:, 0]], self.xy[cu[:, 1]]
            end = a + (b - a) * 0.68
            self.cut_artist.set_segments(np.stack([a, end], 1))
            self.cut_marks.set_offsets(end)
        else:
            self.cut_artist.set_segments([])
            self.cut_marks.set_offsets(_EMPTY)

        # messages on the wire
        which = idx.in_flight(t)
        self.in_flight_count = len(which)
        ok = which[(idx.m_src[which] >= 0) & (idx.m_dst[which] >= 0)]
        hidden = ""
        if not self.show_messages or len(ok) > self.max_dots:
            if self.show_messages:
                hidden = f" (dots hidden above {self.max_dots})"
            ok = ok[:0]
        if len(ok):
            a, b = self.xy[idx.m_src[ok]], self.xy[idx.m_dst[ok]]
            f = idx.progress(ok, t)[:, None]
            d = b - a
            length = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-12)[:, None]
            unit = d / length
            # travel from the rim of the sender to the rim of the receiver, not centre to centre
            r = np.minimum(self._node_radius(), 0.45 * length)
            start = a + unit * r
            normal = np.c_[unit[:, 1], -unit[:, 0]]  # right of the direction of travel
            self.message_artist.set_offsets(start + unit * (length - 2 * r) * f
                                            + normal * self.sizes["dot_offset"])
            self.message_artist.set_facecolors(self._msg_rgba[ok])
        else:
            self.message_artist.set_offsets(_EMPTY)
        self.shown_messages = len(ok)

        first = f"t = {t:.3f} s"
        if self.show_messages:
            word = "message" if len(which) == 1 else "messages"
            first += f"   {len(which)} {word} in flight{hidden}"
        # always two lines, so the title keeps its height while scrubbing
        second = f"partition {format_groups(groups)}" if groups is not None else " "
        self.title.set_text(first + "\n" + second)
        return [self.node_artist, self.crash_artist, self.pause_artist, self.edge_artist, self.broken_artist,
                self.cut_artist, self.cut_marks, self.message_artist, self.title, *self.labels]

    def _node_radius(self) -> float:
        """The radius of a node marker in data units (markers are sized in points)."""
        ax = self.ax
        width_px = ax.get_window_extent().width
        if width_px <= 0:
            return 0.0
        x0, x1 = ax.get_xlim()
        radius_px = np.sqrt(self.sizes["node_size"]) / 2 * self.fig.dpi / 72
        return float(radius_px * abs(x1 - x0) / width_px)

    # -- legend -----------------------------------------------------------------
    def set_trace(self, trace) -> bool:
        """Show another run on the same topology, keeping the drawing (for fast re-runs).

        Returns False, and changes nothing, when the other run needs a different legend or node
        colouring (new roles, new fault kinds, numeric values): then build a new view instead.
        """
        trace = as_trace(trace)
        if trace.nodes != self.trace.nodes or self.numeric:
            return False
        old = (self.trace, self.idx, self._table, self._values, self._msg_rgba, self.numeric)
        self.trace, self.idx = trace, TraceIndex(trace)
        self._colour_tables()
        if self.numeric or self._legend_labels() != self._shown_legend:
            self.trace, self.idx, self._table, self._values, self._msg_rgba, self.numeric = old
            return False
        if self.t is not None:
            self.draw(self.t)
        return True

    def _legend_labels(self) -> list:
        return [h.get_label() for h in self._legend_handles()]

    def _legend(self) -> None:
        handles = self._legend_handles()
        self._shown_legend = [h.get_label() for h in handles]
        if handles:
            self.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                           fontsize=style.FONT["legend"], frameon=False, borderaxespad=0.2, handletextpad=0.4)

    def _legend_handles(self) -> list:
        ax, idx = self.ax, self.idx
        ms = 9
        handles = []

        def dot(color, label, marker="o", size=ms, **kw):
            handles.append(Line2D([], [], marker=marker, linestyle="", markersize=size, markerfacecolor=color,
                                  markeredgecolor=kw.pop("edge", style.OUTLINE), label=label, **kw))

        if self.numeric:
            sm = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(self.vmin, self.vmax),
                                              cmap="viridis")
            self.colorbar = self.fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.02)
            self.colorbar.set_label(self.color_by, fontsize=style.FONT["label"])
        else:
            shown = self._values[:10]
            for v in shown:
                dot(style.node_color(v), _value_label(self.color_by, v))
            if len(self._values) > len(shown):
                handles.append(Line2D([], [], linestyle="", label=f"... {len(self._values) - len(shown)} more"))
        faults = {f[1] for f in idx.faults}
        times, who, _codes, _v = idx.observations(self.color_by)
        first = np.full(len(self.trace.nodes), np.inf)
        np.minimum.at(first, who, times)
        if (first > 0).any():  # some node is without a value for a while (or for ever)
            dot(style.NO_VALUE, f"no {self.color_by} yet")
        if "crash" in faults:
            handles.append(Line2D([], [], marker="X", linestyle="", markersize=ms + 1,
                                  markerfacecolor=style.CRASHED, markeredgecolor=style.MARK, label="crashed"))
        if "pause" in faults:
            dot("white", "paused (hatched)", edge=style.OUTLINE_SOFT)
        if "partition" in faults:
            handles.append(Line2D([], [], color=style.FAULT, linestyle=(0, (3, 2)), lw=1.5,
                                  label="link cut by partition"))
        if "cut" in faults:
            handles.append(Line2D([], [], color=style.FAULT, lw=1.5, marker="x", markevery=[1],
                                  markersize=7, label="one-way cut (x: receiver side)"))
        if self.show_messages:
            for tn in idx.message_types[:8]:
                dot(style.message_color(tn), f"{tn} message", size=6, edge="white")
        return handles


_CRASHED_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9}


def _value_label(key, v) -> str:
    """A legend entry for one observed value: sets as {a, b} ("none" when empty), strings as they are."""
    if isinstance(v, str):
        return v
    if isinstance(v, (set, frozenset)):
        inner = ", ".join(str(x) for x in sorted(v, key=sort_key))
        return f"{key}: {{{inner}}}" if v else f"{key}: none"
    return f"{key} = {v}"


def topology(trace, t, ax=None, color_by="role", pos=None, show_messages=True, labels=True, **kwargs):
    """Draw the network of ``trace`` at time ``t``.

    Node fill = the value of ``color_by`` observed at or before ``t``; grey with a cross =
    crashed; hatched = paused; red dashed broken links = cut by a partition; a red link
    ending in a cross = a one-way cut; dots = messages in flight, placed by how far they
    have travelled, coloured by message type. At a few hundred nodes and more, labels go
    and nodes, links and dots shrink; above ``max_dots`` messages in flight, dots are skipped.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
    t : float
        Simulated time (seconds).
    ax : matplotlib Axes, optional
    color_by, pos, show_messages, labels
        See :class:`TopologyView`; other keyword arguments (``legend``, ``max_dots``,
        ``seed``) go to it too.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from dsysedu import Scenario, run, Partition
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> trace = run(Scenario(PingEcho, nodes=5, faults=[Partition([[0, 1], [2, 3, 4]], at=0.3)],
    ...                      until=1.0), seed=7)
    >>> ax = topology(trace, t=0.5)
    """
    view = TopologyView(trace, ax=ax, color_by=color_by, pos=pos, show_messages=show_messages, labels=labels,
                        **kwargs)
    view.draw(t)
    return view.ax

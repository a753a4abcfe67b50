"""Pictures of a CAP run: the replicated register under a partition, and its client history.

A run of :func:`~dsysedu.protocols.replication.cap.cap_scenario` is drawn as two panels. Left, the
network at time t: replicas on a circle (each side of the partition on its own arc) coloured by whose
write of ``x`` they hold, each client just outside its home replica, coloured by the outcome of its
last operation; links cut by the partition drawn broken. Right, the client history (one lane per
client, one bar per operation, the linearizability checker's violating window outlined, stale reads
and lost writes ringed, the partition shaded) with a "now" line.

:func:`cap_pictures` draws both once (chapter 2.1); :class:`CapPanel` is the same figure kept alive by
the CAP playground: each run refills the history's bars and keeps the rest, and scrubbing moves only
the topology's colours and the "now" line.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.collections import PolyCollection

from dsysedu.check.history import History
from dsysedu.protocols.replication.cap import (cap_measures, lost_write_ops, partition_groups, replica_ids,
                                               stale_read_ops)
from . import style
from .history import HistoryView, history_view
from .render import CachedArtist, LayeredBlitter, new_figure
from .topology import TopologyView

__all__ = ["cap_layout", "cap_layout_of", "cap_pictures", "history_panel", "trace_partition", "CapPanel"]


def cap_layout(replicas: int, homes: dict, groups=None) -> dict:
    """Positions: replicas on a circle (each side of the partition one arc), each client just
    outside its home replica. Returns node -> (x, y).

    Examples
    --------
    >>> pos = cap_layout(3, {3: 0})
    >>> [round(float(v), 2) for v in pos[0]]
    [0.87, 0.5]
    """
    order = [r for g in (groups or [list(range(replicas))]) for r in g]
    pos = {}
    for i, r in enumerate(order):
        a = math.pi / 2 - 2 * math.pi * (i + 0.5) / replicas
        pos[r] = np.array([math.cos(a), math.sin(a)])
    seen: dict = {}
    for c, h in sorted(homes.items()):
        k = seen.get(h, 0)
        seen[h] = k + 1
        a = math.atan2(pos[h][1], pos[h][0]) + 0.35 * k
        pos[c] = np.array([1.75 * math.cos(a), 1.75 * math.sin(a)])
    return pos


def cap_layout_of(trace) -> dict:
    """:func:`cap_layout` for a run of :func:`~dsysedu.protocols.replication.cap.cap_scenario` (replicas,
    homes and the partition read from the trace)."""
    replicas = replica_ids(trace)
    homes = {c: next(iter(trace.graph.neighbors(c))) for c in trace.nodes if c not in replicas}
    return cap_layout(len(replicas), homes, partition_groups(trace))


def trace_partition(trace) -> list:
    """The (start, end) intervals during which a partition was in force."""
    out, start = [], None
    for r in trace.rows:
        if r[1] == "partition" and start is None:
            start = r[0]
        elif r[1] == "heal" and start is not None:
            out.append((start, r[0]))
            start = None
    if start is not None:
        out.append((start, trace.end_time))
    return out


def history_panel(trace, ax, *, history=None, measures=None, until=None):
    """The client history of a CAP run on ``ax``: the partition shaded, the checker's verdict,
    stale reads and lost writes ringed. Returns the Axes."""
    history = History.from_trace(trace) if history is None else history
    m = cap_measures(trace) if measures is None else measures
    until = trace.end_time if until is None else until
    spans, ringed, title = _panel_parts(trace, history, m)
    for a, b in spans:
        ax.axvspan(a, b, color=style.FAULT, alpha=0.08, zorder=0, lw=0)
    history_view(history, ax=ax, verdict=m.verdict, t=(0.0, until), labels=False, highlight=ringed, title=title)
    for a, _b in spans:
        _partition_label(ax, a)
    ax.set_xlabel("time (s)", fontsize=style.FONT["label"])
    return ax


def _panel_parts(trace, history, m):
    """(partition spans, ringed op ids, title) of the history panel of a CAP run."""
    ringed = [op.id for op in stale_read_ops(history)] + [op.id for op in lost_write_ops(history, trace)]
    title = (f"{m.mode}: client history, {len(history)} operations; "
             f"ringed: {m.stale} stale reads, {m.lost} lost writes")
    return trace_partition(trace), ringed, title


def _partition_label(ax, a):
    return ax.text(a, 0.01, " partition", transform=ax.get_xaxis_transform(), ha="left", va="bottom",
                   fontsize=style.FONT["small"], color=style.FAULT)


def cap_pictures(trace, t: float, axes=None):
    """The two pictures of a CAP run: the network at time ``t`` and the client history.

    Parameters
    ----------
    trace : Trace
        A run of :func:`~dsysedu.protocols.replication.cap.cap_scenario`.
    t : float
        The moment the topology shows (a line marks it on the history).
    axes : (Axes, Axes), optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.protocols.replication.cap import cap_scenario
    >>> fig = cap_pictures(run(cap_scenario("AP"), seed=7), t=1.5)
    """
    if axes is None:
        import matplotlib.pyplot as plt
        _fig, axes = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": (1.0, 1.5)},
                                  layout="constrained")
    ax_topo, ax_hist = axes
    view = TopologyView(trace, ax=ax_topo, color_by="state", show_messages=False, pos=cap_layout_of(trace))
    view.draw(t)
    history_panel(trace, ax_hist)
    ax_hist.axvline(t, color=style.CURSOR, lw=1.2, zorder=7)
    return ax_topo.figure


class CapPanel:
    """The CAP playground's figure: network and client history of one run after another.

    The history panel is set up once (lanes, ticks, limits); each run refills its bars, shading and
    title, with the legend and the partition labels pasted from kept pixels (text is slow to draw).
    The topology keeps its drawing while the partition (and so the layout) stays the same.

    Parameters
    ----------
    clients : iterable
        The client ids (one history lane each).
    until : float
        The runs' length: the history's time axis.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.protocols.replication.cap import cap_measures, cap_scenario
    >>> trace = run(cap_scenario("CP"), seed=7)
    >>> panel = CapPanel(clients=range(5, 9), until=3.0)
    >>> panel.show(trace, 1.0, measures=cap_measures(trace))
    >>> panel.png(1.5)[:4]
    b'\\x89PNG'
    """

    def __init__(self, clients, until: float):
        self.fig = new_figure(12.8, 5.0)
        gs = self.fig.add_gridspec(1, 2, width_ratios=(1.0, 1.45), left=0.0, right=0.855, bottom=0.1, top=0.84,
                                   wspace=0.28)
        self.ax_topo = self.fig.add_subplot(gs[0])
        self.ax_hist = self.fig.add_subplot(gs[1])
        self.hview = HistoryView(self.ax_hist, clients, (0.0, float(until)), labels=False)
        self.ax_hist.set_xlabel("time (s)", fontsize=style.FONT["label"])
        self.shade = self.ax_hist.add_collection(
            PolyCollection([], facecolor=style.FAULT, alpha=0.08, lw=0, zorder=0,
                           transform=self.ax_hist.get_xaxis_transform()), autolim=False)
        self.partition_labels: list = []
        self.now_line = self.ax_hist.axvline(0.0, color=style.CURSOR, lw=1.2, zorder=7)
        self._pixels: dict = {}   # the legend's and the labels' pixels, kept
        self.legend = CachedArtist(pixels=self._pixels)
        self.blitter = LayeredBlitter(self.fig)
        self.fig.text(0.005, 0.015, "colour = whose write: a replica holds the x written by that client "
                      "(a client has the colour of its own writes)", fontsize=style.FONT["label"],
                      color=style.OUTLINE_SOFT)
        self.topo = None
        self._pos_key = None

    def show(self, trace, t: float, *, measures=None, **_ignored) -> None:
        """A new run (``measures``: its :func:`~dsysedu.protocols.replication.cap.cap_measures`)."""
        measures = cap_measures(trace) if measures is None else measures
        history = History.from_trace(trace)
        layer = self._refill_history(trace, history, measures)
        self.now_line.set_xdata([t, t])
        key = tuple(map(tuple, partition_groups(trace) or ()))
        if self.topo is not None and key == self._pos_key and self.topo.set_trace(trace):
            # same layout and legend: keep the still picture, redraw only the history panel
            self.blitter.relayer(self.topo.draw(t) + [self.now_line], layer=layer)
            return
        self.ax_topo.clear()
        self.topo = TopologyView(trace, ax=self.ax_topo, color_by="state", show_messages=False,
                                 pos=cap_layout_of(trace), legend=True)
        self._pos_key = key
        self.blitter.reset(self.topo.draw(t) + [self.now_line], layer=layer)

    def _refill_history(self, trace, history, measures) -> list:
        """Refill the history panel; returns the artists that change with each run."""
        spans, ringed, title = _panel_parts(trace, history, measures)
        self.hview.update(history, verdict=measures.verdict, highlight=ringed, title=title)
        self.shade.set_verts([((a, 0), (b, 0), (b, 1), (a, 1)) for a, b in spans])
        for label in self.partition_labels:
            label.artist.remove()
        # a label's kept pixels hold the shading under it: keyed by the whole span
        self.partition_labels = [CachedArtist(_partition_label(self.ax_hist, a), ("partition", a, b), self._pixels)
                                 for a, b in spans]
        self.legend.show(self.hview.legend, self.hview.legend_rows)
        changed = [a for a in self.hview.artists() if a is not self.hview.legend]
        return changed + [self.legend, self.shade] + self.partition_labels

    def png(self, t: float) -> bytes:
        """The picture at time ``t`` (only the topology's colours and the "now" line move)."""
        t = float(t)
        self.topo.draw(t)
        self.now_line.set_xdata([t, t])
        return self.blitter.png()

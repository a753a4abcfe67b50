"""The CAP playground: partition a replicated register and choose, CP or AP, what to give up.

:class:`CapPlayground` runs :func:`~dsysedu.protocols.replication.cap.cap_scenario` (5 replicas, 4 clients,
3 simulated seconds by default) with the partition the learner draws (each replica on side A or
B, and a from–to window), the mode (CP: majority quorums; AP: answer locally, last writer wins),
the write share and the seed. Every change re-runs the bounded scenario; Play and the time
slider only redraw.

Left, the network at time t: replicas coloured by who wrote the value of ``x`` they hold,
clients by the outcome of their last operation (ok, error = refused, unknown), links cut by the
partition drawn broken. Right, the client history (one lane per client, one bar per operation,
the linearizability checker's violating window outlined in red, the partition shaded) with a
"now" line. Below, the measures of :func:`~dsysedu.protocols.replication.cap.cap_measures`: answered,
stale reads, lost writes, linearizable.
"""
from __future__ import annotations

import html
import math
import statistics
import time

import ipywidgets as W
import numpy as np
from matplotlib.collections import PolyCollection

from dsysedu.check.history import History
from dsysedu.protocols.replication.cap import (MODES, cap_measures, cap_scenario, lost_write_ops, partition_groups, replica_ids,
                             stale_read_ops)
from dsysedu.sim import run
from dsysedu.viz import TopologyView, style
from dsysedu.viz.history import HistoryView, history_view
from .controls import PartitionEditor, SeedBox, TimeScrubber, warning_html
from .playground import _fmt
from .render import CachedArtist, LayeredBlitter, new_figure

__all__ = ["CapPlayground", "cap_layout", "cap_layout_of", "cap_pictures", "history_panel", "cap_rerun_ms",
           "trace_partition"]


def cap_layout(replicas: int, homes: dict, groups=None) -> dict:
    """Positions: replicas on a circle (each side of the partition one arc), each client just
    outside its home replica. Returns node -> (x, y)."""
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


class CapPlayground:
    """A replicated register under a partition, CP or AP, with its history and CAP measures.

    Parameters
    ----------
    mode : {"CP", "AP"}
    replicas, clients : int
        Replicas 0..R-1 and clients R..R+C-1 (fixed for the playground's life).
    partition : list of lists of replica ids, or None
        Starting sides (default: a minority and a majority).
    partition_at, heal_at, until : float
        Starting partition window and the run's length (simulated seconds).
    write_share : float
    seed : int

    Raises
    ------
    ValueError
        For a mode outside ("CP", "AP"), bad counts or times, a write share outside [0, 1]
        (the messages of :func:`~dsysedu.protocols.replication.cap.cap_scenario`).

    Examples
    --------
    >>> pg = CapPlayground(mode="AP")
    >>> pg.measures.answered
    1.0
    """

    def __init__(self, mode: str = "CP", replicas: int = 5, clients: int = 4, partition="default",
                 partition_at: float = 0.5, heal_at: float = 2.0, until: float = 3.0, write_share: float = 0.5,
                 seed: int = 7):
        cap_scenario(mode, replicas=replicas, clients=clients, partition=partition, partition_at=partition_at,
                     heal_at=heal_at, until=until, write_share=write_share)  # raises on bad values
        if partition == "default":
            partition = [list(range((replicas - 1) // 2 or 1)), list(range((replicas - 1) // 2 or 1, replicas))]
        self.replicas, self.clients, self.until = int(replicas), int(clients), float(until)
        self.runs = 0
        self.trace = None
        self.topo = None
        self._pos_key = None
        self.mode = W.ToggleButtons(options=list(MODES), value=mode, description="mode",
                                    tooltips=["majority quorums: consistent, refuses on the minority side",
                                              "answer locally, last writer wins: available, not consistent"],
                                    style={"button_width": "60px"})
        self.mode.add_class("dsysedu-cap-mode")
        self.partition = PartitionEditor(list(range(self.replicas)), self.until, window=(partition_at, heal_at))
        if partition:
            self.partition.set_groups(partition)
        self.partition.widget.add_class("dsysedu-cap-partition")
        self.write_share = W.FloatSlider(value=write_share, min=0.0, max=1.0, step=0.05, description="write share",
                                         continuous_update=False, readout_format=".2f",
                                         style={"description_width": "initial"}, layout=W.Layout(width="300px"))
        self.write_share.add_class("dsysedu-cap-write-share")
        self.seed = SeedBox(seed)
        self.scrubber = TimeScrubber(self.until, self.show_time, frames=120, interval_ms=120)
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="1150px"))
        self.image.add_class("dsysedu-view")
        self.info = W.HTML()
        self.info.add_class("dsysedu-metrics")
        self.status = W.HTML()
        self.status.add_class("dsysedu-status")
        self.fig = new_figure(12.8, 5.0)
        gs = self.fig.add_gridspec(1, 2, width_ratios=(1.0, 1.45), left=0.0, right=0.855, bottom=0.1, top=0.84,
                                   wspace=0.28)
        self.ax_topo = self.fig.add_subplot(gs[0])
        self.ax_hist = self.fig.add_subplot(gs[1])
        # the history panel is set up once (lanes, ticks, limits); each run refills its bars
        self.hview = HistoryView(self.ax_hist, range(self.replicas, self.replicas + self.clients),
                                 (0.0, self.until), labels=False)
        self.ax_hist.set_xlabel("time (s)", fontsize=style.FONT["label"])
        self.shade = self.ax_hist.add_collection(
            PolyCollection([], facecolor=style.FAULT, alpha=0.08, lw=0, zorder=0,
                           transform=self.ax_hist.get_xaxis_transform()), autolim=False)
        self.partition_labels: list = []
        self.now_line = self.ax_hist.axvline(0.0, color=style.CURSOR, lw=1.2, zorder=7)
        self._pixels: dict = {}   # text is slow to draw: the legend's and labels' pixels, kept
        self.legend = CachedArtist(pixels=self._pixels)
        self.blitter = LayeredBlitter(self.fig)
        self.fig.text(0.005, 0.015, "colour = whose write: a replica holds the x written by that client "
                      "(a client has the colour of its own writes)", fontsize=style.FONT["label"], color="#444444")
        for w in (self.mode, self.write_share):
            w.observe(lambda ch: self.rerun(), names="value")
        self.partition.observe(self.rerun)
        self.seed.observe(self.rerun)
        help_text = W.HTML("<span style='font-size:12px'>Put each replica on side A or B; the window says when "
                           "the network is cut. Each client sits next to a replica, on its side.</span>")
        controls = W.VBox([W.HBox([self.mode, self.write_share, self.seed.widget]), help_text, self.partition.widget])
        self.widget = W.VBox([controls, self.image, self.scrubber.widget, W.HBox([self.info, self.status])],
                             layout=W.Layout(width="100%"))
        self.rerun()

    # -- the scenario ----------------------------------------------------------------
    def groups(self):
        """The sides the editor shows, or None when every replica is on one side."""
        groups = self.partition.groups()
        return groups if len(groups) >= 2 else None

    def scenario(self):
        at, heal = self.partition.window.value
        return cap_scenario(self.mode.value, replicas=self.replicas, clients=self.clients, partition=self.groups(),
                            partition_at=at, heal_at=heal if heal > at else None, until=self.until,
                            write_share=self.write_share.value)

    def rerun(self) -> None:
        """Run the scenario of the controls, measure it and redraw at the scrubber's time."""
        try:
            sc = self.scenario()
        except (ValueError, TypeError) as exc:
            self.status.value = warning_html(exc)
            return
        trace = run(sc, seed=self.seed.value)
        self.trace = trace
        self.runs += 1
        self.history = History.from_trace(trace)
        self.measures = cap_measures(trace)
        self._draw(trace)
        self.info.value = self._info_html()
        note = "" if self.measures.linearizable is not None else "linearizability undecided (search budget)"
        self.status.value = warning_html(note)
        self.show_time(min(self.scrubber.t, trace.end_time))

    def _draw(self, trace) -> None:
        key = (tuple(map(tuple, self.groups() or ())),)
        t0 = min(self.scrubber.t, trace.end_time)
        layer = self._draw_history()
        self.now_line.set_xdata([t0, t0])
        self.scrubber.set_end(trace.end_time)
        if self.topo is not None and key == self._pos_key and self.topo.set_trace(trace):
            # same layout and legend: keep the still picture, redraw only the history panel
            self.blitter.relayer(self.topo.draw(t0) + [self.now_line], layer=layer)
            return
        self.ax_topo.clear()
        self.topo = TopologyView(trace, ax=self.ax_topo, color_by="state", show_messages=False,
                                 pos=cap_layout_of(trace), legend=True)
        self._pos_key = key
        self.blitter.reset(self.topo.draw(t0) + [self.now_line], layer=layer)

    def _draw_history(self) -> list:
        """Refill the history panel with this run; returns the artists that change with each run
        (the legend through a pixel cache: its rows change seldom and text is slow to draw)."""
        spans, ringed, title = _panel_parts(self.trace, self.history, self.measures)
        self.hview.update(self.history, verdict=self.measures.verdict, highlight=ringed, title=title)
        self.shade.set_verts([((a, 0), (b, 0), (b, 1), (a, 1)) for a, b in spans])
        for label in self.partition_labels:
            label.artist.remove()
        # a label's kept pixels hold the shading under it: keyed by the whole span
        self.partition_labels = [CachedArtist(_partition_label(self.ax_hist, a), ("partition", a, b), self._pixels)
                                 for a, b in spans]
        self.legend.show(self.hview.legend, self.hview.legend_rows)
        changed = [a for a in self.hview.artists() if a is not self.hview.legend]
        return changed + [self.legend, self.shade] + self.partition_labels

    def show_time(self, t: float) -> None:
        """Redraw at time ``t`` (no re-run)."""
        if self.trace is None:
            return
        self.t_view = t = float(t)
        self.topo.draw(t)
        self.now_line.set_xdata([t, t])
        self.image.value = self.blitter.png()

    # -- measures ----------------------------------------------------------------------
    def metrics(self) -> dict:
        m = self.measures
        return {"answered": m.answered, "stale reads": m.stale_reads, "lost writes": m.lost_writes,
                "linearizable": m.linearizable, "operations": m.operations, "refused (fail)": m.failed,
                "unknown (info)": m.unknown}

    def _info_html(self) -> str:
        def fmt(name, v):
            if name == "linearizable":
                return "? (undecided)" if v is None else ("1 (yes)" if v else "0 (no)")
            return _fmt(v)
        body = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right;padding-left:12px'>"
                       f"<b>{html.escape(fmt(k, v))}</b></td></tr>" for k, v in self.metrics().items())
        return f"<table class='dsysedu-metrics-table' style='font-size:13px'>{body}</table>"

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


def cap_layout_of(trace) -> dict:
    """:func:`cap_layout` for a run of :func:`~dsysedu.protocols.replication.cap.cap_scenario` (replicas, homes
    and the partition read from the trace)."""
    replicas = replica_ids(trace)
    homes = {c: next(iter(trace.graph.neighbors(c))) for c in trace.nodes if c not in replicas}
    return cap_layout(len(replicas), homes, partition_groups(trace))


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


def cap_rerun_ms(repeats: int = 7) -> float:
    """Median wall milliseconds of one re-run + redraw (run, measure, draw, PNG) of the default
    playground in a warm process; each repeat changes the seed (which re-runs)."""
    pg = CapPlayground()
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        pg.seed.box.value = 100 + i
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)

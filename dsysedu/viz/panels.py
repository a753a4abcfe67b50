"""Panels: the figures a playground keeps and redraws, one run after another.

A panel owns an off-screen figure and a :class:`~dsysedu.viz.render.LayeredBlitter`. It has two
methods: :meth:`show` for a new run (or a grown live trace), which redraws only the parts that
changed, and :meth:`png` for a time ``t``, which moves only what moves and returns PNG bytes. No
panel runs a simulation or imports ipywidgets; :mod:`dsysedu.widgets` puts their bytes in an
``Image``.

A playground declares the views it draws by name (:data:`VIEW_NAMES`); :func:`panel_for` picks the
panel that draws them together:

=================================================  ====================================================
views                                              panel
=================================================  ====================================================
``("topology", "spacetime")`` (or either alone)    :class:`RunPanel`
``("topology", "history")``                        :class:`~dsysedu.viz.cap.CapPanel` (a CAP run)
``("spread",)``                                    :class:`SpreadPanel` (a gossip run and its curve)
``("topology", "raftlog", "spacetime")``           :class:`LivePanel` (a live run, the last seconds)
``("traffic",)``                                   :class:`~dsysedu.viz.traffic.TrafficPanel` (queues, goodput, latency)
``("chaos",)``                                     :class:`~dsysedu.viz.chaos.ChaosPanel` (a chaos experiment and its journal)
=================================================  ====================================================
"""
from __future__ import annotations

import math

import numpy as np

from .cap import CapPanel
from .chaos import ChaosPanel
from .render import CachedArtist, Blitter, LayeredBlitter, new_figure
from .spacetime import SpacetimeView
from .spread import SpreadView, spread_axes, spread_style
from .topology import TopologyView
from .traceviews import RAFT_MESSAGES, TraceViews
from .traffic import TrafficPanel

__all__ = ["VIEW_NAMES", "PANELS", "panel_for", "RunPanel", "SpreadPanel", "LivePanel", "disk_layout"]

VIEW_NAMES = ("topology", "spacetime", "history", "spread", "raftlog", "traffic", "chaos")


class RunPanel:
    """The topology and (or) the space-time diagram of a finished run.

    On a new run of the same nodes the topology keeps its drawing (when its legend stays the
    same), and the space-time diagram keeps its axes, ticks and lane labels (when its limits stay
    the same): only its arrows, marks, title and legend are drawn again, the legend from kept
    pixels. Scrubbing moves the node colours, message dots and the "now" line.

    Parameters
    ----------
    views : tuple of str
        ``("topology", "spacetime")``, ``("topology",)`` or ``("spacetime",)``.
    color_by : str
        The observed key that fills the topology's nodes.
    size : (float, float)
        Figure size in inches (at 90 dpi).

    Examples
    --------
    >>> from dsysedu.protocols.basics import request_reply_scenario
    >>> panel = RunPanel()
    >>> panel.show(request_reply_scenario().run(), 0.0)
    >>> panel.png(0.5)[:4]
    b'\\x89PNG'
    """

    def __init__(self, views=("topology", "spacetime"), color_by: str = "role", size=(12.0, 4.6)):
        views = tuple(views)
        if not views or set(views) - {"topology", "spacetime"}:
            raise ValueError(f"a RunPanel draws 'topology' and/or 'spacetime', got {views!r}")
        self.views, self.color_by = views, color_by
        self.fig = new_figure(*size)
        both = len(views) == 2
        # both legends sit outside their axes, on the right: leave them room inside the figure
        gs = self.fig.add_gridspec(1, 2 if both else 1, width_ratios=(1, 1.6) if both else None, left=0.02,
                                   right=0.875, wspace=0.42 if both else None)
        self.ax_topo = self.fig.add_subplot(gs[0]) if "topology" in views else None
        self.ax_st = self.fig.add_subplot(gs[-1]) if "spacetime" in views else None
        self.blitter = LayeredBlitter(self.fig)
        self.topo = self.st = self.trace = None
        self._frame = None
        self._legend = CachedArtist()

    def show(self, trace, t: float, **_ignored) -> None:
        """A new run, shown at time ``t``."""
        first = self.trace is None
        self.trace = trace
        topo_kept = not first and (self.topo is None or self.topo.set_trace(trace))
        if not topo_kept and self.ax_topo is not None:
            self.ax_topo.clear()
            self.topo = TopologyView(trace, ax=self.ax_topo, color_by=self.color_by)
            # the equal aspect shrinks the axes at its first draw: do it now, so that message dots
            # (placed from the node size in pixels) sit where every later frame puts them
            self.ax_topo.apply_aspect()
        layer = self._spacetime(trace)
        frame_kept = layer is not None and self._frame == self._frame_of()
        moving = self._moving(t)
        if topo_kept and frame_kept:
            self.blitter.relayer(moving, layer=layer)      # the still picture stays
        else:
            self._frame = self._frame_of()
            self.blitter.reset(moving, layer=layer)

    def _spacetime(self, trace):
        """Draw the space-time diagram of ``trace`` in the same axes; return its changing artists."""
        if self.ax_st is None:
            return None
        ax = self.ax_st
        for a in [*ax.collections, *ax.lines, *ax.patches, *ax.texts, *ax.artists]:
            a.remove()                        # the data only: axes, ticks and labels stay
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        self.st = SpacetimeView(trace, ax=ax)  # an axes without data is not cleared
        legend = ax.get_legend()
        if legend is not None:                 # outside the axes, on the plain figure: kept pixels
            self._legend.show(legend, tuple(t.get_text() for t in legend.get_texts()))
        moving = {self.st.cursor, self.st.future, self.st.label}
        data = [a for a in (*ax.collections, *ax.lines, *ax.patches, *ax.texts, *ax.artists) if a not in moving]
        return data + [ax.title, ax._left_title, ax._right_title] + ([self._legend] if legend is not None else [])

    def _frame_of(self):
        """What the still picture of the space-time axes depends on: limits and lane labels."""
        ax = self.ax_st
        if ax is None:
            return None
        return (ax.get_xlim(), ax.get_ylim(), tuple(t.get_text() for t in ax.get_yticklabels()), ax.get_xlabel())

    def _moving(self, t) -> list:
        out = []
        for view in (self.topo, self.st):
            if view is not None:
                out += view.draw(t)
        return out

    def png(self, t: float) -> bytes:
        """The picture at time ``t``."""
        self._moving(float(t))
        return self.blitter.png()


def disk_layout(nodes) -> dict:
    """Nodes spread evenly over a disk (a sunflower spiral; a circle up to 40 nodes): a complete
    graph has no shape to show, and a force layout of its n(n-1)/2 links would take minutes.

    Examples
    --------
    >>> [round(float(v), 2) for v in disk_layout(range(4))[1]]
    [1.0, 0.0]
    """
    nodes = list(nodes)
    n = len(nodes)
    if n <= 40:
        return {v: np.array([math.sin(2 * math.pi * i / n), math.cos(2 * math.pi * i / n)])
                for i, v in enumerate(nodes)}
    golden = math.pi * (3 - math.sqrt(5))
    return {v: np.array([math.sqrt((i + 0.5) / n) * math.cos(i * golden),
                         math.sqrt((i + 0.5) / n) * math.sin(i * golden)]) for i, v in enumerate(nodes)}


class SpreadPanel:
    """A gossip run (:class:`~dsysedu.viz.spread.SpreadView`): the network by who knows, and the
    infection curve with a "now" marker. A complete graph of up to :data:`~dsysedu.viz.spread.LARGE_N`
    nodes sits on a disk, its links hidden above 60 nodes; nodes crashed at the end of the run do
    not count as live.

    Parameters
    ----------
    origin : node id
        The node that knows first.
    seed : int
        Seed of the small style's layout.
    """

    def __init__(self, origin=0, seed: int = 0):
        self.origin, self.seed = origin, seed
        self.fig = new_figure(12.0, 5.4)
        self.ax_topo, self.ax_curve = spread_axes(self.fig)
        self.blitter = Blitter(self.fig)
        self.view = self.topo = None

    def show(self, trace, t: float, **_ignored) -> None:
        n = len(trace.nodes)
        graph = trace.graph
        complete = graph is not None and graph.number_of_edges() == n * (n - 1) // 2
        small_complete = complete and not spread_style(n)["large"]
        self.ax_topo.clear()
        self.ax_curve.clear()
        crashed = trace.status_at(trace.end_time)["crashed"]
        self.view = SpreadView(trace, self.ax_topo, self.ax_curve, origin=self.origin, seed=self.seed,
                               pos=disk_layout(trace.nodes) if small_complete else None, live=n - len(crashed))
        self.topo = self.view.topo
        if small_complete and n > 60:
            self.topo.edge_artist.set_visible(False)  # all n(n-1)/2 links: a grey smear, not information
        self.blitter.reset(self.view.draw(t))

    def png(self, t: float) -> bytes:
        self.view.draw(float(t))
        return self.blitter.png()


class LivePanel:
    """A live run that grows: topology, Raft logs and the last ``window`` seconds of space-time.

    :meth:`show` takes the trace after each step (with the live time ``now`` and a checker's verdict,
    whose evidence is ringed and kept in the window); :meth:`png` looks at any earlier time, moving
    the space-time window when ``t`` leaves it.

    Parameters
    ----------
    window : float
        Seconds of space-time shown.
    messages : sequence of str
        The message types the shared legend lists.
    max_entries : int
        Log entries shown per node.
    """

    def __init__(self, window: float = 2.0, messages=RAFT_MESSAGES, max_entries: int = 12):
        self.window, self.messages, self.max_entries = float(window), tuple(messages), max_entries
        self.fig = new_figure(12.0, 8.2, dpi=100)
        self.blitter = LayeredBlitter(self.fig)
        self.traceviews = self.trace = None
        self.now, self.verdict, self._range = 0.0, None, None

    # the three views of the TraceViews
    topo = property(lambda self: self.traceviews.topo)
    log = property(lambda self: self.traceviews.log)
    st = property(lambda self: self.traceviews.st)

    def show(self, trace, t: float, *, now: float | None = None, verdict=None, **_ignored) -> None:
        self.now = trace.end_time if now is None else float(now)
        self.verdict = verdict
        self._view(trace, float(t), rebuild=True)

    def png(self, t: float) -> bytes:
        self._view(self.trace, float(t), rebuild=False)
        return self.blitter.png()

    def _view(self, trace, t, rebuild) -> None:
        """Move the views to ``t``; redraw the space-time diagram when the trace grew or t left it."""
        now = self.now
        lo = max(0.0, now - self.window)
        if t < lo:
            lo = max(0.0, t - self.window / 2)
        hi = max(lo + self.window, now) if t >= now - self.window else lo + self.window
        v = self.verdict
        highlight = list(v.events) if v is not None and not v.ok else None
        if highlight:
            lo = min(lo, max(0.0, min(trace.rows[s][0] for s in highlight) - 0.2))
        # the title says the span the axis really shows (a verdict's evidence can widen it)
        title = f"space-time, {lo:.1f}–{hi:.1f} s" + (" (up to now)" if hi >= now else "")
        st = dict(t_range=(lo, hi), highlight=highlight, title=title)
        if self.traceviews is None or trace is not self.trace:
            self.trace = trace     # a new run: everything is drawn again
            self.traceviews = TraceViews(self.fig, trace, color_by="role", messages=self.messages,
                                         max_entries=self.max_entries, **st)
            self.blitter.reset(self.traceviews.draw(t), layer=self.traceviews.st.ax)
        elif rebuild or st["t_range"] != self._range:
            self.traceviews.set_spacetime(**st)  # only the space-time axes change
            self.blitter.relayer(self.traceviews.draw(t))
        else:
            self.traceviews.draw(t)
        self._range = st["t_range"]


PANELS = {("topology", "spacetime"): RunPanel, ("topology",): RunPanel, ("spacetime",): RunPanel,
          ("topology", "history"): CapPanel, ("spread",): SpreadPanel,
          ("topology", "raftlog", "spacetime"): LivePanel, ("traffic",): TrafficPanel, ("chaos",): ChaosPanel}


def panel_for(views):
    """The panel class that draws ``views`` together (see the table in the module docstring).

    Raises
    ------
    ValueError
        For an unknown view name, or views that no panel draws together.

    Examples
    --------
    >>> panel_for(("spacetime", "topology")).__name__
    'RunPanel'
    """
    if isinstance(views, str):
        views = (views,)
    views = tuple(views)
    unknown = [v for v in views if v not in VIEW_NAMES]
    if unknown:
        raise ValueError(f"unknown view(s) {unknown}; views are chosen from {VIEW_NAMES}")
    for key, panel in PANELS.items():
        if set(key) == set(views) and len(key) == len(views):
            return panel
    raise ValueError(f"no panel draws the views {views} together; choose one of {list(PANELS)}")

"""Guided tours: a run told in steps, in the spirit of "The Secret Lives of Data".

A :class:`Tour` takes a finished trace and a list of ``(t, caption)`` steps. Prev and
Next move every view to the step's time and show its caption above the picture; the
learner reads one idea at a time while the topology, the space-time diagram and (for
Raft) the logs show it happening. Nothing is re-run: a tour only redraws, and only the
moving parts (:class:`~dsysedu.widgets.render.Blitter`).

:class:`TraceViews` is the figure behind it (and behind
:class:`~dsysedu.widgets.raft_playground.RaftPlayground`): the topology, space-time and
Raft log views of one trace in one figure, with one legend for all of them.
"""
from __future__ import annotations

import html

import ipywidgets as W
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from dsysedu.viz import RaftLogView, SpacetimeView, TopologyView, style
from dsysedu.viz._index import view_end
from dsysedu.viz.raftlog import legend_handles as log_legend_handles
from .render import LayeredBlitter, new_figure

__all__ = ["Tour", "TraceViews", "VIEWS"]

VIEWS = ("topology", "spacetime", "raftlog")
RAFT_ROLES = ("follower", "candidate", "leader")
RAFT_MESSAGES = ("RequestVote", "RequestVoteReply", "AppendEntries", "AppendEntriesReply", "ClientRequest",
                 "ClientReply")


def has_log(trace) -> bool:
    """True when the trace holds Raft ``entry`` observations (so a log view has something to show)."""
    return any(r[1] == "observe" and r[5] == "entry" for r in trace.rows)


class TraceViews:
    """Several views of one trace in one figure, redrawn together for any time ``t``.

    With the Raft log view: topology and logs on top, the space-time diagram below, and one
    legend on the right for all three (so that it never covers data and never changes size
    while the trace grows). Without it: topology and space-time side by side, each with its
    own legend.

    Parameters
    ----------
    fig : matplotlib Figure
        Cleared and filled (use :func:`~dsysedu.widgets.render.new_figure`).
    trace : Trace
    views : sequence of str
        From :data:`VIEWS` (a log view of a trace without ``entry`` observations shows empty logs).
    color_by : str
        The observed key that fills the topology's nodes.
    t_range : (float, float), optional
        The space-time diagram's window (default: the whole run).
    highlight : list of int, optional
        Trace events (``seq``) to ring on the space-time diagram, e.g. a checker's evidence.
    title : str, optional
        A heading for the space-time diagram.
    roles, messages : sequence of str, optional
        What the shared legend lists (default: Raft's roles and message types).
    """

    def __init__(self, fig, trace, views=VIEWS, color_by="role", t_range=None, highlight=None, title=None,
                 roles=RAFT_ROLES, messages=RAFT_MESSAGES, max_entries=12):
        unknown = set(views) - set(VIEWS)
        if unknown or not views:
            raise ValueError(f"views must be chosen from {VIEWS}, got {tuple(views)!r}")
        self.fig, self.trace = fig, trace
        self.views = tuple(v for v in VIEWS if v in views)
        fig.clear()
        self.topo = self.st = self.log = None
        st_kw = dict(t_range=t_range, highlight=highlight, title=title)
        if "raftlog" in self.views:
            fig.set_layout_engine("none")
            gs = fig.add_gridspec(2, 3, width_ratios=(4.2, 6.2, 1.95), height_ratios=(4.5, 3.3), left=0.055,
                                  right=0.995, top=0.94, bottom=0.07, wspace=0.08, hspace=0.32)
            if "topology" in self.views:
                self.topo = TopologyView(trace, ax=fig.add_subplot(gs[0, 0]), color_by=color_by, legend=False)
            self.log = RaftLogView(trace, ax=fig.add_subplot(gs[0, 1] if self.topo else gs[0, :2]),
                                   max_entries=max_entries, legend=False)
            if "spacetime" in self.views:
                self.st = SpacetimeView(trace, ax=fig.add_subplot(gs[1, :2]), legend=False, **st_kw)
            self.legend_ax = fig.add_subplot(gs[:, 2])
            self.legend_ax.set_axis_off()
            handles = _shared_handles(roles, messages)
            leg = self.legend_ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 1.0),
                                        fontsize=style.FONT["legend"], frameon=False, borderaxespad=0.0,
                                        handlelength=1.8, labelspacing=0.55)
            for h, text in zip(handles, leg.get_texts()):
                if getattr(h, "heading", False):
                    text.set_fontweight("bold")
        else:
            fig.set_layout_engine("constrained")
            both = "topology" in self.views and "spacetime" in self.views
            gs = fig.add_gridspec(1, 2 if both else 1, width_ratios=(1, 1.6) if both else None)
            k = 0
            if "topology" in self.views:
                self.topo = TopologyView(trace, ax=fig.add_subplot(gs[0, k]), color_by=color_by)
                k += 1
            if "spacetime" in self.views:
                self.st = SpacetimeView(trace, ax=fig.add_subplot(gs[0, k]), **st_kw)

    def set_spacetime(self, t_range=None, highlight=None, title=None) -> None:
        """Draw the space-time diagram again: the trace grew, or another window or highlight."""
        if self.st is not None:
            self.st = SpacetimeView(self.trace, ax=self.st.ax, legend="raftlog" not in self.views,
                                    t_range=t_range, highlight=highlight, title=title)

    def draw(self, t: float) -> list:
        """Move every view to time ``t``; return the artists that changed."""
        out = []
        for view in (self.topo, self.log, self.st):
            if view is not None:
                out += view.draw(t)
        return out


def _shared_handles(roles, messages) -> list:
    def dot(color, label, size=9, edge="#333333"):
        return Line2D([], [], marker="o", linestyle="", markersize=size, markerfacecolor=color,
                      markeredgecolor=edge, label=label)

    def heading(text):
        patch = Patch(facecolor="none", edgecolor="none", label=text)
        patch.heading = True  # drawn bold
        return patch

    handles = [heading("nodes")] + [dot(style.node_color(r), r) for r in roles]
    handles.append(Line2D([], [], marker="X", linestyle="", markersize=10, markerfacecolor=style.CRASHED,
                          markeredgecolor="#222222", label="crashed"))
    handles.append(heading("messages"))
    handles += [Line2D([], [], color=style.message_color(m), lw=1.6, marker="o", markersize=5, label=m)
                for m in messages]
    handles += [Line2D([], [], color="#777777", lw=1.1, ls=(0, (4, 2)), marker="x", markevery=[1],
                       mec=style.FAULT, mew=2, ms=7, label="dropped"),
                Line2D([], [], color="#555555", marker="v", ls="", ms=6, label="client command"),
                Line2D([], [], color="#555555", marker="|", ls="", ms=8, label="timer fires"),
                Line2D([], [], color=style.FAULT, linestyle=(0, (3, 2)), lw=1.5, label="cut by partition"),
                Line2D([], [], marker="o", ls="", ms=10, mfc=style.HIGHLIGHT, mec="black",
                       label="checker evidence")]
    handles.append(heading("logs (colour = term)"))
    return handles + log_legend_handles()


class Tour:
    """A guided tour of one run: captions, Prev/Next, and the views moving to each step's time.

    Parameters
    ----------
    trace : Trace
        A finished run, of any protocol.
    steps : list of (float, str)
        ``(t, caption)`` pairs; captions are HTML (``<b>``, ``<i>`` are fine).
    views : sequence of str
        From ``("topology", "spacetime", "raftlog")``; the log view only appears when the trace
        has Raft ``entry`` observations.
    color_by : str
        The observed key that fills the topology's nodes.
    window : float, optional
        Show only this many seconds of the space-time diagram around each step's time (long
        runs); default the whole run.
    title : str
        A heading above the tour.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.protocols.consensus.raft import Raft
    >>> trace = run(Scenario(Raft, nodes=3, until=1.0), seed=1)
    >>> tour = Tour(trace, [(0.0, "All followers."), (0.4, "A leader.")])
    >>> tour.next(); tour.index, tour.t
    (1, 0.4)
    """

    def __init__(self, trace, steps, views=VIEWS, color_by: str = "role", window: float | None = None,
                 title: str = "", fig_size=None):
        steps = [(float(t), str(c)) for t, c in steps]
        if not steps:
            raise ValueError("a Tour needs at least one (t, caption) step")
        end = max(view_end(trace), trace.end_time)
        bad = [t for t, _ in steps if not 0.0 <= t <= end]
        if bad:
            raise ValueError(f"step times must lie in the run, [0, {end:g}] s; got {bad}")
        self.trace, self.steps, self.color_by, self.window = trace, steps, color_by, window
        raft = "raftlog" in views and has_log(trace)
        self.views = tuple(v for v in views if v != "raftlog" or raft)
        self.fig = new_figure(*(fig_size or ((12.0, 8.2) if raft else (12.0, 4.6))), dpi=100)
        self.blitter = LayeredBlitter(self.fig)
        self.caption = W.HTML(layout=W.Layout(min_height="3.2em", padding="6px 10px",
                                              border="1px solid #cccccc", width="auto"))
        self.caption.add_class("dsysedu-caption")
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width=f"{int(self.fig.get_figwidth() * 100)}px"))
        self.image.add_class("dsysedu-view")
        self.prev_button = W.Button(description="Prev", icon="arrow-left", layout=W.Layout(width="90px"))
        self.next_button = W.Button(description="Next", icon="arrow-right", layout=W.Layout(width="90px"))
        self.prev_button.add_class("dsysedu-prev")
        self.next_button.add_class("dsysedu-next")
        self.counter = W.HTML()
        self.counter.add_class("dsysedu-step")
        self.prev_button.on_click(lambda b: self.prev())
        self.next_button.on_click(lambda b: self.next())
        header = W.HTML(f"<h3 style='margin:4px 0'>{html.escape(title)}</h3>") if title else W.HTML()
        self.widget = W.VBox([header, W.HBox([self.prev_button, self.counter, self.next_button],
                                             layout=W.Layout(align_items="center")),
                              self.caption, self.image])
        self.panel = None
        self._range = None
        self.index = 0
        self.go(0)

    @property
    def t(self) -> float:
        return self.steps[self.index][0]

    def _t_range(self, t):
        if self.window is None:
            return None
        end = max(view_end(self.trace), 1e-9)
        lo = max(0.0, min(t - 0.75 * self.window, end - self.window))
        return (lo, min(end, lo + self.window))

    def go(self, i: int) -> None:
        """Show step ``i`` (0-based): move the views to its time and show its caption."""
        if not 0 <= i < len(self.steps):
            raise IndexError(f"step {i} is not in 0..{len(self.steps) - 1}")
        self.index = i
        t, caption = self.steps[i]
        rng = self._t_range(t)
        if self.panel is None:
            self.panel = TraceViews(self.fig, self.trace, self.views, color_by=self.color_by, t_range=rng)
            self.blitter.reset(self.panel.draw(t), layer=self.panel.st.ax if self.panel.st else None)
        elif rng != self._range:  # the window moved: only the space-time axes are drawn again
            self.panel.set_spacetime(t_range=rng)
            self.blitter.relayer(self.panel.draw(t))
        else:
            self.panel.draw(t)
        self._range = rng
        self.image.value = self.blitter.png()
        self.caption.value = f"<div style='font-size:15px;line-height:1.4'>{caption}</div>"
        self.counter.value = (f"<span style='padding:0 10px'>step <b>{i + 1}</b> of {len(self.steps)}"
                              f" &nbsp;·&nbsp; t = {t:.3f} s</span>")
        self.prev_button.disabled = i == 0
        self.next_button.disabled = i == len(self.steps) - 1

    def next(self) -> None:
        if self.index < len(self.steps) - 1:
            self.go(self.index + 1)

    def prev(self) -> None:
        if self.index > 0:
            self.go(self.index - 1)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)


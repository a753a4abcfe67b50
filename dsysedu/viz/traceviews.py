"""Several views of one trace in one figure: topology, Raft logs and space-time, one legend.

:class:`TraceViews` is the figure behind the guided :class:`~dsysedu.widgets.tour.Tour`, the live
Raft playground and the still figures of chapter 3.1: every view of the run moves to the same time
``t`` together. With the Raft log view the three panels share one legend on the right, so that it
never covers data and never changes size while a live trace grows.

Examples
--------
>>> from dsysedu.sim import run
>>> from dsysedu.protocols.consensus.raft import figure8_scenario
>>> from dsysedu.viz.render import new_figure, png_bytes
>>> views = TraceViews(new_figure(12.0, 8.2), run(figure8_scenario()))
>>> changed = views.draw(2.4)
>>> png_bytes(views.fig)[:4]
b'\\x89PNG'
"""
from __future__ import annotations

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style
from .raftlog import RaftLogView, legend_handles as log_legend_handles
from .spacetime import SpacetimeView
from .topology import TopologyView

__all__ = ["TraceViews", "VIEWS", "RAFT_ROLES", "RAFT_MESSAGES", "has_log"]

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
        Cleared and filled (use :func:`~dsysedu.viz.render.new_figure`, or pyplot's).
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
    max_entries : int
        Log entries shown per node.

    Raises
    ------
    ValueError
        For views outside :data:`VIEWS`.
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
            handles = shared_handles(roles, messages)
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


def shared_handles(roles, messages) -> list:
    """The legend entries of the three Raft panels: node roles, message types, marks, log colours."""
    def dot(color, label, size=9):
        return Line2D([], [], marker="o", linestyle="", markersize=size, markerfacecolor=color,
                      markeredgecolor=style.OUTLINE, label=label)

    def heading(text):
        patch = Patch(facecolor="none", edgecolor="none", label=text)
        patch.heading = True  # drawn bold
        return patch

    handles = [heading("nodes")] + [dot(style.node_color(r), r) for r in roles]
    handles.append(Line2D([], [], marker="X", linestyle="", markersize=10, markerfacecolor=style.CRASHED,
                          markeredgecolor=style.MARK, label="crashed"))
    handles.append(heading("messages"))
    handles += [Line2D([], [], color=style.message_color(m), lw=1.6, marker="o", markersize=5, label=m)
                for m in messages]
    handles += [Line2D([], [], color=style.MUTED, lw=1.1, ls=(0, (4, 2)), marker="x", markevery=[1],
                       mec=style.FAULT, mew=2, ms=7, label="dropped"),
                Line2D([], [], color=style.ANNOTATION, marker="v", ls="", ms=6, label="client command"),
                Line2D([], [], color=style.ANNOTATION, marker="|", ls="", ms=8, label="timer fires"),
                Line2D([], [], color=style.FAULT, linestyle=(0, (3, 2)), lw=1.5, label="cut by partition"),
                Line2D([], [], marker="o", ls="", ms=10, mfc=style.HIGHLIGHT, mec="black",
                       label="checker evidence")]
    handles.append(heading("logs (colour = term)"))
    return handles + log_legend_handles()

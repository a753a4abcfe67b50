"""Raft log view: every node's log at one moment, one row per node, one column per index.

Each cell is a log entry, filled with the colour of its term (:func:`~dsysedu.viz.style.term_color`)
and labelled as in Figure 6 of the Raft paper [1]_: the term on top, the command below
(``x=2``, ``noop``). Entries a node knows to be committed (index <= its commit index) are
solid; entries not committed yet are pale and hatched. With log compaction
(:class:`~dsysedu.protocols.consensus.raft.snapshots.CompactingRaft`), entries a node has folded into
its snapshot become one box, "snapshot 1-12": the node no longer holds those entries, only the
state they produced. A leader's row is framed and starred ("★ node 3 /
leader, term 3"); a crashed node's row is greyed out (its log is durable: it is still there
when the node recovers).

The logs are rebuilt from the nodes' ``entry`` observations with :func:`logs_at`, the same
way the checkers of :mod:`dsysedu.protocols.consensus.raft.properties` rebuild them. :class:`RaftLogView` draws
once and then updates its artists for each new time, for scrubbing and blitting.

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
   USENIX ATC 2014, Figures 6 and 7.
"""
from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch

from dsysedu.protocols.consensus.raft.properties import _Logs
from dsysedu.viz import style
from ._index import TraceIndex, as_trace

__all__ = ["logs_at", "short_command", "raft_log", "RaftLogView"]

_LEADER = "leader"


def logs_at(trace, t: float) -> dict:
    """Every node's log at time ``t``, rebuilt from its ``entry`` observations.

    An ``entry`` observation ``(index, term, command)`` means "the log now holds this entry at
    ``index`` and nothing after it" (Raft observes one for each entry it writes). The checkers
    of :mod:`dsysedu.protocols.consensus.raft.properties` rebuild logs the same way, with the same code.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
    t : float
        Simulated time (seconds); observations at ``t`` count.

    Returns
    -------
    dict
        node -> list of ``(term, command)``; entry ``i`` (from 1, as in the paper) is ``log[i - 1]``.

    Examples
    --------
    >>> from dsysedu.sim import Trace
    >>> obs = lambda t, n, e: (t, "observe", n, None, None, "entry", e)
    >>> tr = Trace([0, 1], [obs(0.1, 0, (1, 1, "a")), obs(0.2, 0, (2, 1, "b")), obs(0.3, 0, (2, 2, "c"))])
    >>> logs_at(tr, 0.25), logs_at(tr, 0.3)[0]
    ({0: [(1, 'a'), (1, 'b')], 1: []}, [(1, 'a'), (2, 'c')])
    """
    trace = as_trace(trace)
    logs = _Logs()
    for r in trace.rows:
        if r[0] > t:
            break
        if r[1] == "observe" and r[5] == "entry":
            logs.write(r[2], *r[6])
        elif r[1] == "observe" and r[5] == "installed":
            index, _term, leader, kept = r[6]
            logs.install(r[2], index, leader, kept)
    return {n: list(logs.snapshot(n)) for n in trace.nodes}


def short_command(command) -> str:
    """A log entry's command in a few characters: ``x=2``, ``get x``, ``del x``, ``x:1→2``, ``noop``.

    Examples
    --------
    >>> from dsysedu.protocols.consensus.raft import Command, NOOP
    >>> short_command(Command("c", 1, ("set", "x", 2))), short_command(NOOP)
    ('x=2', 'noop')
    """
    op = getattr(command, "op", None)
    if isinstance(op, tuple) and op:
        kind, args = op[0], [str(a) for a in op[1:]]
        if kind == "set" and len(args) == 2:
            text = f"{args[0]}={args[1]}"
        elif kind == "cas" and len(args) == 3:
            text = f"{args[0]}:{args[1]}\u2192{args[2]}"
        else:
            text = " ".join([{"delete": "del"}.get(kind, kind)] + args)
    else:
        text = str(command)
    return text if len(text) <= 7 else text[:6] + "\u2026"


class RaftLogView:
    """The logs of a Raft trace, redrawn in place for any time ``t``.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
        A run of :class:`~dsysedu.protocols.consensus.raft.Raft` (it needs the ``entry`` observations;
        ``role``, ``term`` and ``commit_index`` add the leader marks and the committed shading).
    ax : matplotlib Axes, optional
        A new figure when None.
    max_entries : int
        Columns shown; longer logs show their last ``max_entries`` indexes (the title says so).
    legend : bool
        A key below the cells: committed, not committed yet, crashed, leader. (A cell's colour
        is its term; the number on top of the cell says which.)

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.protocols.consensus.raft import Raft
    >>> view = RaftLogView(run(Scenario(Raft, nodes=3, until=1.0), seed=1))
    >>> artists = view.draw(0.5)
    >>> view.lengths
    {0: 1, 1: 1, 2: 1}
    """

    def __init__(self, trace, ax=None, max_entries: int = 20, legend: bool = True):
        self.trace = as_trace(trace)
        self.max_entries = int(max_entries)
        if self.max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries!r}")
        nodes = self.trace.nodes
        n, m = len(nodes), self.max_entries
        if ax is None:
            import matplotlib.pyplot as plt
            _fig, ax = plt.subplots(figsize=(min(12.0, 2.2 + 0.45 * m), 1.2 + 0.5 * n), layout="constrained")
        self.ax, self.fig = ax, ax.figure
        self.idx = TraceIndex(self.trace)
        self.t = None
        self.lengths: dict = {}
        self.committed: dict = {}
        self.first_index = 1
        # the label area left of the cells: about 1.3 inches ("follower, term 12"), in column widths;
        # the cell text shrinks with the cells, within readable bounds
        width = ax.get_position().width * self.fig.get_figwidth()
        label_in = 1.3
        self.label_cols = label_in * m / width_cells if (width_cells := width - label_in) > 0.5 else 3.2
        cell_pt = (width_cells if width_cells > 0.5 else width) / m * 72
        cell_font = float(np.clip(0.33 * cell_pt, 6.0, 9.0))
        ax.set_xlim(-self.label_cols, m + 0.1)
        ax.set_ylim(n + 0.05, -0.75)  # first node on top, room for the index numbers
        ax.set_axis_off()
        slots = [_box(j, i) for i in range(n) for j in range(m)]
        ax.add_collection(PolyCollection(slots, facecolors="none", edgecolors=style.EMPTY_SLOT, linewidths=0.8,
                                         zorder=1))
        self.frame_artist = PolyCollection([], facecolors=matplotlib.colors.to_rgba(style.node_color(_LEADER), 0.08),
                                           edgecolors=style.node_color(_LEADER), linewidths=2.0, zorder=1.5)
        self.committed_artist = PolyCollection([], edgecolors=style.OUTLINE, linewidths=0.8, zorder=2)
        self.pending_artist = PolyCollection([], edgecolors=style.MUTED, linewidths=0.8, linestyles="--",
                                             hatch="///", hatchcolor=style.HATCH, zorder=2)
        self.crashed_artist = PolyCollection([], facecolors=matplotlib.colors.to_rgba(style.CRASHED, 0.55),
                                             edgecolors="none", zorder=4)
        self.snapshot_artist = PolyCollection([], facecolors=[_lighter(style.SNAPSHOT, 0.85)],
                                              edgecolors=style.SNAPSHOT, linewidths=1.4, zorder=2.5)
        self.snapshots: dict = {}
        for a in (self.frame_artist, self.committed_artist, self.pending_artist, self.crashed_artist,
                  self.snapshot_artist):
            ax.add_collection(a)
        fs = style.FONT
        self.cell_texts = [[ax.text(j + 0.5, i + 0.5, "", ha="center", va="center", fontsize=cell_font,
                                    linespacing=1.0, zorder=3, clip_on=True) for j in range(m)] for i in range(n)]
        x_label = -self.label_cols + 0.2
        self.name_texts = [ax.text(x_label, i + 0.32, "", ha="left", va="center", fontsize=fs["label"], zorder=3)
                           for i in range(n)]
        self.role_texts = [ax.text(x_label, i + 0.7, "", ha="left", va="center", fontsize=fs["tick"], zorder=3)
                           for i in range(n)]
        self.index_texts = [ax.text(j + 0.5, -0.3, "", ha="center", va="center", fontsize=fs["small"],
                                    color=style.ANNOTATION) for j in range(m)]
        ax.text(-self.label_cols + 0.2, -0.3, "index", ha="left", va="center", fontsize=fs["small"],
                color=style.ANNOTATION)
        self.title = ax.set_title(" ", fontsize=fs["title"], loc="left")
        self._index_entries()
        if legend:
            compacts = any(r[1] == "observe" and r[5] == "snapshot" for r in self.trace.rows)
            ax.legend(handles=legend_handles(compacts), loc="upper left", bbox_to_anchor=(0.0, 0.0),
                      ncol=5 if compacts else 4,
                      fontsize=fs["legend"], frameon=False, borderaxespad=0.2, handlelength=1.6)

    def _index_entries(self) -> None:
        """What draw() folds: the entries (the index answers roles, terms, commit indexes, crashes)."""
        self._entries = [(r[0], r[2], r[5], r[6]) for r in self.trace.rows
                         if r[1] == "observe" and r[5] in ("entry", "installed") and r[2] in self.idx.index]
        self._entry_times = np.array([e[0] for e in self._entries], dtype=float)

    def draw(self, t: float) -> list:
        """Show the logs at time ``t``; return the artists that changed.

        A trace that grew since the last call (a live run) is indexed again first.
        """
        if self.idx.stale():
            self.idx = TraceIndex(self.trace)
            self._index_entries()
        t = float(t)
        self.t = t
        nodes = self.trace.nodes
        m = self.max_entries
        logs = _Logs()
        for k in range(int(np.searchsorted(self._entry_times, t, side="right"))):
            _time, node, kind, value = self._entries[k]
            if kind == "entry":
                logs.write(node, *value)
            else:
                logs.install(node, value[0], value[2], value[3])
        snap = self.idx.value_at("snapshot", t)
        self.snapshots = {v: (snap[v][0] if snap.get(v) else 0) for v in nodes}
        role = self.idx.value_at("role", t)
        term = self.idx.value_at("term", t)
        commit = self.idx.value_at("commit_index", t, default=0)
        crashed = self.idx.status_at(t)["crashed"]
        self.lengths = {v: len(logs.logs.get(v, ())) for v in nodes}
        self.committed = {v: min(commit[v] or 0, self.lengths[v]) for v in nodes}
        longest = max(self.lengths.values(), default=0)
        self.first_index = first = max(1, longest - m + 1)
        solid, solid_fc, pale, pale_fc, frames, down, folded = [], [], [], [], [], [], []
        self.leaders = []
        for i, v in enumerate(nodes):
            log = logs.logs.get(v, [])
            folded_to = min(self.snapshots[v], len(log)) - first   # the last column inside the snapshot
            if folded_to >= 0:
                folded.append(_span(0, folded_to, i))
            for j in range(m):
                index = first + j
                text = self.cell_texts[i][j]
                if index > len(log):
                    text.set_text("")
                    continue
                if j <= folded_to:
                    text.set_color(style.SNAPSHOT)
                    text.set_text(f"snapshot {1}\u2013{self.snapshots[v]}" if j == folded_to // 2 else "")
                    continue
                e_term, command, _h = log[index - 1]
                fill = style.term_color(e_term)
                if index <= self.committed[v]:
                    solid.append(_box(j, i))
                    solid_fc.append(fill)
                    text.set_color(style.text_color_on(fill))
                else:
                    pale.append(_box(j, i))
                    pale_fc.append(_lighter(fill))
                    text.set_color(style.MARK)
                text.set_text(f"{e_term}\n{short_command(command)}")
            is_down = v in crashed
            is_leader = role[v] == _LEADER and not is_down
            if is_leader:
                self.leaders.append(v)
                frames.append(_row(i, m))
            if is_down:
                down.append(_row(i, m))
            self.name_texts[i].set_text(("\u2605 " if is_leader else "") + f"node {v}")
            self.name_texts[i].set_fontweight("bold" if is_leader else "normal")
            self.name_texts[i].set_color(style.CRASHED if is_down else "black")
            snapped = f", snap \u2264{self.snapshots[v]}" if self.snapshots[v] else ""
            self.role_texts[i].set_text("crashed" if is_down else
                                        f"{role[v] or 'not started'}, term {term[v] if term[v] is not None else 0}"
                                        f"{snapped}")
            self.role_texts[i].set_color(style.CRASHED if is_down else
                                         (style.node_color(_LEADER) if is_leader else style.OUTLINE_SOFT))
        self.committed_artist.set_verts(solid)
        self.committed_artist.set_facecolors(solid_fc or "none")
        self.pending_artist.set_verts(pale)
        self.pending_artist.set_facecolors(pale_fc or "none")
        self.frame_artist.set_verts(frames)
        self.crashed_artist.set_verts(down)
        self.snapshot_artist.set_verts(folded)
        for j, text in enumerate(self.index_texts):
            text.set_text(str(first + j) if first + j <= longest else "")
        shown = f"   (indexes {first}\u2013{longest} of {longest})" if first > 1 else ""
        self.title.set_text(f"logs at t = {t:.3f} s{shown}")
        return [self.frame_artist, self.committed_artist, self.pending_artist, self.crashed_artist,
                self.snapshot_artist, self.title,
                *self.name_texts, *self.role_texts, *self.index_texts, *(x for row in self.cell_texts for x in row)]


def legend_handles(snapshots: bool = False) -> list:
    """Legend entries that explain the log cells (for a view's own key or a shared one); with
    ``snapshots``, also the cells folded into a snapshot."""
    fill = style.term_color(3)
    return [Patch(facecolor=fill, edgecolor=style.OUTLINE, label="committed"),
            Patch(facecolor=_lighter(fill), edgecolor=style.MUTED, hatch="///", linestyle="--",
                  label="not committed yet"),
            Patch(facecolor=matplotlib.colors.to_rgba(style.CRASHED, 0.55), edgecolor="none", label="crashed node"),
            Patch(facecolor=matplotlib.colors.to_rgba(style.node_color(_LEADER), 0.08),
                  edgecolor=style.node_color(_LEADER), lw=2.0, label="\u2605 leader")] + (
            [Patch(facecolor=_lighter(style.SNAPSHOT, 0.85), edgecolor=style.SNAPSHOT, label="compacted into a snapshot")]
            if snapshots else [])


def raft_log(trace, t, ax=None, max_entries: int = 20, legend: bool = True):
    """Draw every node's Raft log at time ``t`` (see :class:`RaftLogView`); return the Axes.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, Crash, run
    >>> from dsysedu.protocols.consensus.raft import Raft
    >>> trace = run(Scenario(Raft, nodes=5, faults=[Crash(0, at=0.5)], until=2.0), seed=3)
    >>> ax = raft_log(trace, t=1.5)
    """
    view = RaftLogView(trace, ax=ax, max_entries=max_entries, legend=legend)
    view.draw(t)
    return view.ax


def _box(j: int, i: int, pad: float = 0.06):
    return [(j + pad, i + pad), (j + 1 - pad, i + pad), (j + 1 - pad, i + 1 - pad), (j + pad, i + 1 - pad)]


def _span(j0: int, j1: int, i: int, pad: float = 0.06) -> list:
    """One box over columns ``j0..j1`` of row ``i``."""
    return [(j0 + pad, i + pad), (j1 + 1 - pad, i + pad), (j1 + 1 - pad, i + 1 - pad), (j0 + pad, i + 1 - pad)]


def _row(i: int, m: int) -> list:
    return [(0.0, i + 0.02), (float(m), i + 0.02), (float(m), i + 0.98), (0.0, i + 0.98)]


def _lighter(color, amount: float = 0.55):
    """``color`` mixed with white (``amount`` of white)."""
    rgb = np.array(matplotlib.colors.to_rgb(color))
    return tuple(rgb + (1.0 - rgb) * amount) + (1.0,)

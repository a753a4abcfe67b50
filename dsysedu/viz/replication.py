"""Views for chapter 3.2: stale reads under quorums, CRDT replicas converging, SMR state hashes.

* :func:`staleness_plot`: P(a read returns the latest acknowledged write) against the time
  since the write, one line per ``(R, W)`` (from :func:`dsysedu.protocols.replication.quorum.staleness_sweep`);
  strict quorums (``R + W > N``) are solid, partial ones dashed.
* :class:`CrdtView` / :func:`crdt_replicas`: one row per replica over time; each band is
  the replica's value while it held it, partitions are shaded, and each merge that changed a
  replica is an arrow from the sender's row (when it sent its state) to the receiver's row
  (when the merge happened). ``draw(t)`` shows the run up to ``t``, so :func:`crdt_animation`
  replays it as a short HTML animation.
* :func:`state_hash_grid`: replicas' state hashes run by run; cells that differ from the most
  common hash of their column are marked as divergent.

Colours come from :mod:`dsysedu.viz.style` (Okabe-Ito series, the fault red, ``ok``/``error``).
"""
from __future__ import annotations

from collections import Counter
from numbers import Real

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from dsysedu.viz import style
from ._index import TraceIndex, as_trace, format_groups, view_end

__all__ = ["staleness_plot", "CrdtView", "crdt_replicas", "crdt_animation", "state_hash_grid"]


_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def _axes(ax, figsize):
    if ax is None:   # a pyplot figure, so that a notebook shows it (as the other views do)
        import matplotlib.pyplot as plt
        _fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _tidy(ax):
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=style.FONT["tick"])


# ---------------------------------------------------------------------------- staleness

def staleness_plot(df: pd.DataFrame, ax=None, *, title: str | None = None, suffix: str = "",
                   linestyle: str | None = None, legend: bool = True):
    """Draw P(consistent read) against milliseconds since the write's acknowledgement.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``n, r, w, time, p_consistent`` (as :func:`~dsysedu.protocols.replication.quorum.staleness_sweep` returns).
    ax : matplotlib Axes, optional
    title : str, optional
    suffix : str
        Added to each label (``" + read repair"``), for a second set of lines on the same axes.
    linestyle : str, optional
        Overrides the default (solid for ``R + W > N``, dashed otherwise).
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from dsysedu.protocols.replication.quorum import staleness_sweep
    >>> ax = staleness_plot(staleness_sweep(3, [(1, 1), (2, 2)], [0, 0.01, 0.02], trials=500, seed=1))
    >>> ax.get_legend_handles_labels()[1]
    ['R=1, W=1', 'R=2, W=2 (R+W>N)']
    """
    need = {"n", "r", "w", "time", "p_consistent"}
    if not isinstance(df, pd.DataFrame) or not need <= set(df.columns):
        raise ValueError(f"staleness_plot needs a DataFrame with columns {sorted(need)} (from staleness_sweep)")
    ax = _axes(ax, (7.5, 3.8))
    ns = sorted(df["n"].unique())
    start = sum(1 for ln in ax.lines if not ln.get_label().startswith("_"))   # a second call: next colours
    for i, ((r, w), part) in enumerate(df.groupby(["r", "w"], sort=True)):
        n = int(part["n"].iloc[0])
        strict = r + w > n
        ls = linestyle or ("-" if strict else "--")
        # markers at staggered points, so that lines lying on top of each other (every strict
        # quorum sits at 1.0) all stay visible
        every = max(1, len(part) // 6)
        ax.plot(part["time"] * 1000, part["p_consistent"], ls=ls, lw=2.2 if strict else 1.6,
                color=style.series_color(start + i), marker=_MARKERS[(start + i) % len(_MARKERS)], ms=5,
                markevery=((i * every) // 3 % every, every),
                label=f"R={r}, W={w}" + (" (R+W>N)" if strict else "") + suffix)
    ax.set_ylim(min(0.0, float(df["p_consistent"].min())) - 0.02, 1.02)
    ax.set_xlim(0, float(df["time"].max()) * 1000)
    ax.set_xlabel("time since the write was acknowledged (ms)", fontsize=style.FONT["label"])
    ax.set_ylabel("P(read returns it)", fontsize=style.FONT["label"])
    ax.axhline(1.0, color=style.EDGE, lw=0.8, ls=":", zorder=0)
    nlabel = f"N={ns[0]}" if len(ns) == 1 else "N=" + ",".join(map(str, ns))
    ax.set_title(title or f"how often a read sees the latest write ({nlabel})", fontsize=style.FONT["title"],
                 loc="left")
    _tidy(ax)
    if legend:
        ax.legend(fontsize=style.FONT["legend"], frameon=False, loc="lower right")
    return ax


# ---------------------------------------------------------------------------- CRDT replicas

def _label(value, width: int = 14) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**6:
        return f"{value:.1e}".replace("e+", "e")
    if isinstance(value, tuple):
        text = "{" + ",".join(str(v)[:3] for v in value) + "}"
    else:
        text = str(value)
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def _value_color(value, lo, hi):
    if value is None or value == ():
        return style.NO_VALUE
    if isinstance(value, Real) and not isinstance(value, bool):
        # counters: a sequential scale, on a log scale when values span orders of magnitude
        if lo >= 0 and hi > 100 * max(lo, 1):
            value, lo, hi = np.log1p(value), np.log1p(lo), np.log1p(hi)
        return style.numeric_color(value, lo - 0.25 * (hi - lo + 1), hi, cmap="Blues")
    return style.node_color(("crdt", value))


class CrdtView:
    """Replicas of a CRDT run over time, redrawn up to any time ``t``.

    Parameters
    ----------
    trace : Trace
        A run of :class:`~dsysedu.protocols.replication.crdt.CrdtReplica` (it needs the ``value`` and
        ``merged`` observations).
    ax : matplotlib Axes, optional
    arrows : bool
        Draw an arrow for each merge that changed a replica.
    title : str, optional

    Examples
    --------
    >>> from dsysedu.protocols.replication.crdt_sim import crdt_scenario
    >>> view = CrdtView(crdt_scenario("gcounter", 3, partition=[[0], [1, 2]], until=4.0).run(seed=1))
    >>> artists = view.draw(2.0)
    >>> sorted(view.values_at(2.0)) == [0, 1, 2]
    True
    """

    def __init__(self, trace, ax=None, arrows: bool = True, title: str | None = None):
        self.trace = as_trace(trace)
        self.ax = _axes(ax, (9, 0.55 * len(self.trace.nodes) + 1.6))
        self.arrows, self.title = arrows, title
        idx = TraceIndex(self.trace)
        self.partitions = idx.partitions()
        self.crashes = idx.intervals("crash", "recover")
        self.end = view_end(self.trace)
        self.values: dict = {n: [] for n in self.trace.nodes}   # node -> [(time, value)]
        self.merges = []                                         # (send time, src, merge time, dst)
        send_time, last_deliver = {}, {}
        for time, kind, node, peer, mid, _data, value in self.trace.rows:
            if kind == "send":
                send_time[mid] = time
            elif kind == "deliver":
                last_deliver[node] = (peer, mid)
            elif kind == "observe" and _data == "value":
                mine = self.values[node]
                if not mine or mine[-1][1] != value:     # a new state with the same value: one band
                    mine.append((time, value))
            elif kind == "observe" and _data == "merged":
                _src, m = last_deliver.get(node, (value, None))
                self.merges.append((send_time.get(m, time), value, time, node))
        numbers = [v for vs in self.values.values() for _t, v in vs if isinstance(v, Real) and not isinstance(v, bool)]
        self.lo, self.hi = (min(numbers), max(numbers)) if numbers else (0, 1)
        self.row = {n: i for i, n in enumerate(self.trace.nodes)}

    def values_at(self, t: float) -> dict:
        """Each replica's value at time ``t`` (None before its first observation)."""
        out = {}
        for n, vs in self.values.items():
            out[n] = next((v for time, v in reversed(vs) if time <= t), None)
        return out

    def _build(self) -> None:
        """Draw the whole run once; :meth:`draw` then only moves a curtain over the future."""
        ax, end = self.ax, self.end
        nodes = self.trace.nodes
        for begin, stop, groups in self.partitions:
            ax.axvspan(begin, stop, color=style.FAULT, alpha=0.08, lw=0, zorder=0)
            ax.text(begin, -0.62, f"partition {format_groups(groups)}", fontsize=style.FONT["small"],
                    color=style.FAULT, va="bottom", ha="left")
        for node, begin, stop in self.crashes:
            ax.broken_barh([(begin, stop - begin)], (self.row[node] - 0.38, 0.76), facecolors=style.CRASHED,
                           edgecolors=style.OUTLINE, hatch="xx", linewidth=0.4, zorder=3)
        min_width = 0.05 * end   # room for about four characters
        colors: dict = {}
        for n, vs in self.values.items():
            y = self.row[n]
            for j, (start, v) in enumerate(vs):
                stop = vs[j + 1][0] if j + 1 < len(vs) else end
                key = repr(v)
                if key not in colors:   # one colour lookup per value, not per band
                    colors[key] = _value_color(v, self.lo, self.hi)
                fill = colors[key]
                ax.broken_barh([(start, max(stop - start, 1e-9))], (y - 0.3, 0.6), facecolors=fill,
                               edgecolors=style.ANNOTATION, linewidth=0.3, zorder=2)
                text = _label(v)
                if stop - start >= min_width * max(1.0, len(text) / 4):
                    ax.text((start + stop) / 2, y, text, ha="center", va="center", zorder=4,
                            fontsize=style.FONT["small"], color=style.text_color_on(fill))
        if self.arrows:
            for sent, src, at, dst in self.merges:
                ax.annotate("", xy=(at, self.row[dst]), xytext=(sent, self.row[src]), zorder=5,
                            arrowprops=dict(arrowstyle="-|>", color=style.OKABE_ITO["black"], lw=0.7,
                                            alpha=0.55, shrinkA=0, shrinkB=0, mutation_scale=7))
        # the future, hidden behind a white curtain that starts at "now"
        self.curtain = Rectangle((end, -0.8), 0.0, len(nodes) + 0.4, facecolor="white", edgecolor="none",
                                 zorder=7)
        ax.add_patch(self.curtain)
        self.cursor = ax.axvline(end, color=style.CURSOR, lw=1.0, zorder=8, visible=False)
        ax.set_ylim(len(nodes) - 0.5, -0.75)
        ax.set_xlim(0, end * 1.005)   # the bands' right edges stay inside, where the curtain covers them
        ax.set_xlabel("time (s)", fontsize=style.FONT["label"])
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        _tidy(ax)
        handles = [Line2D([], [], color="black", lw=0.8, marker=">", ms=4, label="merge that changed a replica")]
        if self.partitions:
            handles.append(Patch(facecolor=style.FAULT, alpha=0.15, label="partition"))
        if self.crashes:
            handles.append(Patch(facecolor=style.CRASHED, edgecolor=style.OUTLINE, hatch="xx", label="crashed"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=style.FONT["legend"],
                  frameon=False)
        self._built = True

    def draw(self, t: float | None = None) -> list:
        """Show the run up to time ``t`` (default: all of it); returns the artists that changed.

        The first call draws everything; later calls move the curtain and the "now" line and
        rewrite the replica labels and the title, so scrubbing and animation are cheap.
        """
        if not getattr(self, "_built", False):
            self._build()
        t = self.end if t is None else min(max(float(t), 0.0), self.end)
        ax = self.ax
        self.curtain.set_x(t)
        self.curtain.set_width(max(self.end - t, 0.0) + 0.01 * self.end)
        self.cursor.set_xdata([t, t])
        self.cursor.set_visible(t < self.end)
        now = self.values_at(t)
        ax.set_yticks(range(len(self.trace.nodes)), [f"replica {n}: {_label(now[n], 18)}" for n in self.trace.nodes],
                      fontsize=style.FONT["label"])
        title = self.title or ("replica values over time" if t >= self.end else f"replicas at t = {t:.2f} s")
        ax.set_title(title, fontsize=style.FONT["title"], loc="left")
        return [self.curtain, self.cursor, ax.title, ax.yaxis]


def crdt_replicas(trace, ax=None, t: float | None = None, arrows: bool = True, title: str | None = None):
    """Draw a CRDT run (see :class:`CrdtView`) up to ``t``; returns the Axes.

    Examples
    --------
    >>> from dsysedu.protocols.replication.crdt_sim import crdt_scenario
    >>> ax = crdt_replicas(crdt_scenario("orset", 3, until=2.0).run(seed=1))
    >>> len(ax.get_yticklabels())
    3
    """
    view = CrdtView(trace, ax=ax, arrows=arrows, title=title)
    view.draw(t)
    return view.ax


def crdt_animation(trace, frames: int = 12, fps: float = 3, arrows: bool = True, figsize=(8.5, 3.0)):
    """A short HTML animation of a CRDT run: :class:`CrdtView` replayed at ``frames`` moments.

    Each frame is a PNG inside the HTML (about 25 kB each at these sizes): keep ``frames`` small.

    Returns
    -------
    dsysedu.viz.animate.AnimationHTML
    """
    from .animate import check_frames, replay_html

    check_frames(frames, fps)
    trace = as_trace(trace)
    fig = Figure(figsize=figsize, dpi=72, layout="constrained")
    view = CrdtView(trace, ax=fig.add_subplot(), arrows=arrows)
    times = np.linspace(view.end / frames, view.end, int(frames))
    view.draw(times[-1])
    fig.draw_without_rendering()
    fig.set_layout_engine("none")   # the tick labels change length: keep the axes still
    return replay_html(fig, view.draw, times, fps)


# ---------------------------------------------------------------------------- SMR hashes

def state_hash_grid(table, ax=None, *, title: str | None = None, chars: int = 6):
    """Replicas' state hashes, one column per run: cells off their column's most common hash are marked.

    Parameters
    ----------
    table : pandas.DataFrame or dict
        Rows: replicas; columns: runs (a dict ``run label -> list of hashes`` works too).
    ax : matplotlib Axes, optional
    title : str, optional
    chars : int
        How many hex characters of each hash to print.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.dsysedu_divergent`` is the number of marked cells.

    Examples
    --------
    >>> ax = state_hash_grid({"run 1": ["ab12", "ab12", "cd34"], "run 2": ["ef56"] * 3})
    >>> ax.dsysedu_divergent
    1
    """
    df = pd.DataFrame(table) if not isinstance(table, pd.DataFrame) else table
    if df.empty:
        raise ValueError("state_hash_grid needs at least one replica and one run")
    rows, cols = df.shape
    ax = _axes(ax, (min(1.0 * cols + 1.8, 13), 0.42 * rows + 1.2))
    ok, bad = style.node_color("ok"), style.node_color("error")
    divergent = 0
    for j, col in enumerate(df.columns):
        common = Counter(df[col]).most_common(1)[0][0]
        for i, h in enumerate(df[col]):
            off = h != common
            divergent += off
            fill = bad if off else ok
            ax.add_patch(Rectangle(
                (j - 0.46, i - 0.42), 0.92, 0.84, facecolor=fill, alpha=0.85 if off else 0.35,
                edgecolor=style.OUTLINE if off else "none", hatch="//" if off else None, lw=0.6))
            ax.text(j, i, str(h)[:chars], ha="center", va="center", family="monospace",
                    fontsize=style.FONT["small"], color=style.text_color_on(fill) if off else "black")
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xticks(range(cols), [str(c) for c in df.columns], fontsize=style.FONT["tick"],
                  rotation=0 if cols <= 8 else 45)
    ax.set_yticks(range(rows), [f"replica {r}" for r in df.index], fontsize=style.FONT["label"])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title or f"state hashes: {divergent} divergent of {rows * cols}", fontsize=style.FONT["title"],
                 loc="left")
    ax.legend(handles=[Patch(facecolor=ok, alpha=0.35, label="most common state of the run"),
                       Patch(facecolor=bad, alpha=0.85, hatch="//", edgecolor=style.OUTLINE, label="divergent")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=style.FONT["legend"], frameon=False)
    ax.dsysedu_divergent = int(divergent)
    return ax

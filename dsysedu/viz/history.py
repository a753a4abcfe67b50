"""History view: what each client asked, when, and what it was told.

One lane per client, time to the right, one bar per operation from its invocation to its
completion, labelled ``w(x)=1`` or ``r(x)→1``: the picture of Herlihy and Wing's paper and of
Porcupine's visualizer. Writes are filled, reads are pale, both in the colour of their key.
An operation whose outcome is unknown (``"info"``) has a dashed bar that runs to the right
edge; a failed one is grey and crossed out. Given a failing verdict from
:func:`~dsysedu.check.linearizability.check_linearizable`, the violating window is outlined in
red and the verdict is written under the title; given a passing one, a tick marks where each
operation takes effect in the witness order.

Examples
--------
>>> from dsysedu.check.consistency import example_histories
>>> from dsysedu.check.linearizability import check_linearizable
>>> h, _ = example_histories()["stale read"]
>>> ax = history_view(h, verdict=check_linearizable(h, "kv"))
"""
from __future__ import annotations

import math
import textwrap

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from dsysedu.check.history import History
from dsysedu.check.models import op_label
from dsysedu.viz import style

__all__ = ["history_view", "HistoryView", "linearization_points"]

_BAR = 0.34            # bar height, in lanes


def linearization_points(history, order) -> dict:
    """Instants at which the operations of a witness ``order`` take effect: op id -> time.

    Each point lies inside its operation's interval and the points never decrease along
    ``order``; each sits halfway between the earliest and the latest instant that allow this.
    Operations of different keys are placed independently (their orders are independent).

    Examples
    --------
    >>> from dsysedu.check.consistency import example_histories
    >>> h, _ = example_histories()["linearizable"]
    >>> linearization_points(h, (2, 0, 1, 3, 4))[2] <= linearization_points(h, (2, 0, 1, 3, 4))[0]
    True
    """
    byid = {op.id: op for op in history}
    groups: dict = {}
    for i in order:
        groups.setdefault(byid[i].key, []).append(byid[i])
    finite = [op.complete for op in history if op.complete is not None] + [op.invoke for op in history]
    horizon = (max(finite) if finite else 0.0) + 1.0
    out = {}
    for ops in groups.values():
        early, t = [], -math.inf
        for op in ops:
            t = max(t, op.invoke)
            early.append(t)
        late, t = [0.0] * len(ops), math.inf
        for j in range(len(ops) - 1, -1, -1):
            t = min(t, ops[j].end)
            late[j] = t
        for op, a, b in zip(ops, early, late):
            b = min(b, horizon) if math.isfinite(b) else min(horizon, a + 0.5 * (horizon - a))
            out[op.id] = (a + max(a, b)) / 2
    return out


def _window_range(ops, t, verdict, max_ops):
    """The time window to draw, and a note when it is not the whole history."""
    if t is not None:
        lo, hi = float(t[0]), float(t[1])
        if not hi > lo:
            raise ValueError(f"t must be (start, stop) with stop > start, got {t!r}")
        return lo, hi, ""
    times = [op.invoke for op in ops] + [op.complete for op in ops if op.complete is not None]
    lo, hi = min(times), max(times)
    if len(ops) <= max_ops:
        return lo, hi, ""
    focus = set(getattr(verdict, "window", ()) or ())
    chosen = [op for op in ops if op.id in focus] or ops[:max_ops]
    a = min(op.invoke for op in chosen)
    b = max((op.complete for op in chosen if op.complete is not None), default=a + 1.0)
    # widen around the chosen operations until about max_ops operations are in view
    inside = sorted(ops, key=lambda o: abs(o.invoke - (a + b) / 2))[:max_ops]
    a = min(a, min(o.invoke for o in inside))
    b = max(b, max((o.complete for o in inside if o.complete is not None), default=b))
    return a, b, f"{sum(1 for o in ops if o.invoke <= b and o.end >= a)} of {len(ops)} operations; pass t=(t0, t1)"


def history_view(history, ax=None, *, verdict=None, highlight=None, t=None, max_ops: int = 40, title=None,
                 legend: bool = True, labels: bool = True):
    """Draw a client history: a lane per client, a bar per operation.

    Parameters
    ----------
    history : History
    ax : matplotlib Axes, optional
        A new figure sized to the number of clients when None.
    verdict : Verdict, optional
        A failing verdict with a ``window`` (linearizability, causal) outlines those operations
        in red (a causal one's chain also as arrows) and is written under the title; a passing
        one with a ``linearization`` adds a tick at each operation's linearization point.
    highlight : iterable of int, optional
        Operation ids to ring in the highlight colour.
    t : (float, float), optional
        Only this stretch of time. Without it, a history of more than ``max_ops`` operations
        is shown around the verdict's window (or from its start), and the title says so.
    max_ops : int
        About how many operations fit without ``t`` (readable up to about 40).
    title : str, optional
    legend : bool
    labels : bool
        Write each operation's label above its bar.

    Returns
    -------
    matplotlib.axes.Axes
        With ``ax.dsysedu_bars`` = dict op id -> the bar drawn for it (``get_x``, ``get_y``,
        ``get_width``, ``get_height`` and its colours, like a Rectangle), and
        ``ax.dsysedu_points`` = dict op id -> linearization time (when ticks were drawn).

    Examples
    --------
    >>> from dsysedu.check.consistency import linearizable_kv_history
    >>> ax = history_view(linearizable_kv_history(200, clients=4, keys=2, seed=1), t=(10, 20))
    """
    history = _as_history(history)
    ops = list(history.ops)
    lo, hi, note = _window_range(ops, t, verdict, max_ops)
    clients = list(dict.fromkeys(op.client for op in ops if op.invoke <= hi and op.end >= lo)) \
        or list(history.clients())
    try:
        clients = sorted(clients)
    except TypeError:  # client names of mixed types: first-invocation order
        pass
    if ax is None:
        import matplotlib.pyplot as plt
        _fig, ax = plt.subplots(figsize=(10, max(2.2, 0.62 * len(clients) + 1.5)), layout="constrained")
    view = HistoryView(ax, clients, (lo, hi), legend=legend, labels=labels)
    view.update(history, verdict=verdict, highlight=highlight, title=title, note=note)
    return ax


def _as_history(history) -> History:
    if isinstance(history, (list, tuple)):
        history = History(history)
    if not isinstance(history, History):
        raise TypeError(f"history_view draws a History, got {type(history).__name__}")
    if len(history) == 0:
        raise ValueError("the history is empty: nothing to draw")
    return history


class _Bar:
    """Where and how one operation's bar is drawn (read like a Rectangle: get_x, get_width, ...)."""

    __slots__ = ("x", "y", "width", "height", "face", "edge", "lw", "ls", "fill")

    def __init__(self, x, y, width, height, face, edge, lw, ls, fill):
        self.x, self.y, self.width, self.height = x, y, width, height
        self.face, self.edge, self.lw, self.ls, self.fill = face, edge, lw, ls, fill

    def get_x(self): return self.x                # noqa: E704
    def get_y(self): return self.y                # noqa: E704
    def get_width(self): return self.width        # noqa: E704
    def get_height(self): return self.height      # noqa: E704
    def get_facecolor(self): return self.face     # noqa: E704
    def get_edgecolor(self): return self.edge     # noqa: E704
    def get_linewidth(self): return self.lw       # noqa: E704
    def get_linestyle(self): return self.ls       # noqa: E704
    def get_fill(self): return self.fill          # noqa: E704

    def corners(self):
        x0, y0, x1, y1 = self.x, self.y, self.x + self.width, self.y + self.height
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


class HistoryView:
    """A history panel drawn once and refilled: lanes, ticks and limits stay, the bars change.

    The Axes is set up once for fixed ``clients`` and a fixed time window ``t``; each
    :meth:`update` replaces only the data of a few collections (all solid bars, the open-ended
    bars of each colour, the rings, the crossings, the arrows of unknown outcomes), the ticks
    of the linearization points and the title, and rebuilds the legend only when its entries
    change. :func:`history_view` is one view updated once; a playground keeps one and
    updates it on every run (:meth:`artists` are what to redraw).

    Parameters
    ----------
    ax : matplotlib Axes
    clients : iterable
        One lane per client, top to bottom.
    t : (float, float)
        The stretch of time shown.
    legend, labels : bool
        As in :func:`history_view`.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from dsysedu.check.consistency import linearizable_kv_history
    >>> view = HistoryView(Figure().subplots(), clients=["c0", "c1", "c2"], t=(0, 100))
    >>> for seed in (1, 2):
    ...     ax = view.update(linearizable_kv_history(30, clients=3, keys=2, seed=seed))
    >>> len(ax.dsysedu_bars)
    30
    """

    def __init__(self, ax, clients, t, *, legend: bool = True, labels: bool = True):
        self.ax, self.clients = ax, list(clients)
        if not self.clients:
            raise ValueError("a history view needs at least one client lane")
        self.lane = {c: i for i, c in enumerate(self.clients)}
        lo, hi = float(t[0]), float(t[1])
        if not hi > lo:
            raise ValueError(f"t must be (start, stop) with stop > start, got {t!r}")
        self.lo, self.hi, self.span = lo, hi, hi - lo
        self.right = hi + 0.04 * self.span                  # where open-ended bars stop
        self.legend_on, self.labels_on = bool(legend), bool(labels)
        n = len(self.clients)
        ax.set_xlim(lo - 0.02 * self.span, self.right + 0.03 * self.span)
        ax.set_ylim(n - 0.45, -0.75)
        ax.set_autoscale_on(False)
        ax.set_yticks(range(n), [f"client {c}" for c in self.clients], fontsize=style.FONT["label"])
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", labelsize=style.FONT["tick"])
        ax.set_xlabel("time", fontsize=style.FONT["label"])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.hlines(range(n), lo - 0.02 * self.span, self.right, colors=style.LANE, lw=0.6, zorder=0.5)
        self.solid = ax.add_collection(PolyCollection([], zorder=3), autolim=False)
        self.open: dict = {}     # edge colour -> hatched, dashed bars (under the others, which they may span)
        self.rings = ax.add_collection(PolyCollection([], facecolor=style.HIGHLIGHT, edgecolor="black", lw=0.8,
                                                      zorder=2), autolim=False)
        self.strikes = ax.add_collection(LineCollection([], colors=style.CRASHED, lw=1.0, zorder=4), autolim=False)
        self.shafts = ax.add_collection(LineCollection([], lw=1.2, zorder=4), autolim=False)
        self.heads = ax.scatter([], [], marker=">", s=22, lw=0, zorder=4)
        self.ticks, = ax.plot([], [], ls="none", marker="|", ms=16, mew=2.2, color=style.CURSOR, zorder=6)
        self.title = ax.set_title("", fontsize=style.FONT["label"], loc="left")
        self.legend = None
        self.legend_rows = None      # what the legend shows, comparable: it is rebuilt only when this changes
        self._extra: list = []                               # labels and causal arrows of the last update

    def artists(self) -> list:
        """The artists an :meth:`update` changes (to redraw after it, e.g. as a blitter's layer)."""
        out = [self.solid, *self.open.values(), self.rings, self.strikes, self.shafts, self.heads, self.ticks,
               self.title, *self._extra]
        return out + ([self.legend] if self.legend is not None else [])

    def update(self, history, *, verdict=None, highlight=None, title=None, note: str = ""):
        """Show ``history`` (with ``verdict`` and ``highlight`` as in :func:`history_view`); returns the Axes."""
        history = _as_history(history)
        ax, lo, hi, span, right = self.ax, self.lo, self.hi, self.span, self.right
        shown = [op for op in history.ops if op.invoke <= hi and op.end >= lo]
        missing = {op.client for op in shown} - set(self.lane)
        if missing:
            raise ValueError(f"clients {sorted(map(str, missing))} have no lane; this view's lanes are {self.clients}")
        keys = list(history.keys())
        try:
            keys = sorted(keys)
        except TypeError:  # keys of mixed types: first-use order
            pass
        colour = {k: mcolors.to_rgba(style.series_color(i)) for i, k in enumerate(keys)}
        window = set(getattr(verdict, "window", ()) or ()) if verdict is not None and not verdict.ok else set()
        culprit = getattr(verdict, "culprit", None) if window else None
        ring = set(highlight or ())
        for a in self._extra:
            a.remove()
        self._extra = []
        bars, pending_labels, rings, strikes, shafts, heads = {}, [], [], [], [], []
        failed, crashed = mcolors.to_rgba(style.FAILED_OPERATION), mcolors.to_rgba(style.CRASHED)
        fault = mcolors.to_rgba(style.FAULT)
        for op in shown:
            y = self.lane[op.client]
            x0 = op.invoke
            width = max((right if op.pending else op.complete) - x0, 0.004 * span)
            c = colour[op.key]
            if op.status == "fail":
                face, edge, lw, ls, fill = failed, crashed, 0.8, "-", True
            elif op.pending:
                face, edge, lw, ls, fill = (0.0, 0.0, 0.0, 0.0), c, 1.2, "--", False
            elif op.kind in ("read", "dequeue"):
                face, edge, lw, ls, fill = (*c[:3], 0.28), c, 1.2, "-", True
            else:
                face, edge, lw, ls, fill = c, c, 1.2, "-", True
            if op.id in window:
                edge, lw, ls = fault, 3.0 if op.id == culprit else 2.0, "-"
            bars[op.id] = _Bar(x0, y - _BAR / 2, width, _BAR, face, edge, lw, ls, fill)
            if op.id in ring:
                a, b = x0 - 0.004 * span, x0 + width + 0.004 * span
                rings.append(((a, y - _BAR / 2 - 0.07), (b, y - _BAR / 2 - 0.07), (b, y + _BAR / 2 + 0.07),
                              (a, y + _BAR / 2 + 0.07)))
            if op.pending:
                shafts.append((((right - 0.01 * span, y), (right + 0.008 * span, y)), c))
                heads.append(((right + 0.01 * span, y), c))
            if op.status == "fail":
                strikes.append(((x0, y), (x0 + width, y)))
            if self.labels_on:
                a, b = max(x0, lo), min(x0 + width, right)
                if b >= a:
                    pending_labels.append(((a + b) / 2, y, op))
        self._fill_bars(bars)
        self.rings.set_verts(rings)
        self.strikes.set_segments(strikes)
        self.shafts.set_segments([s for s, _ in shafts])
        self.shafts.set_color([c for _, c in shafts] or "none")
        self.heads.set_offsets([p for p, _ in heads] or np.empty((0, 2)))
        self.heads.set_facecolor([c for _, c in heads] or "none")
        if window and getattr(verdict, "property", "") == "causal consistency":
            # a causal verdict's window is a chain, in causal order: draw it as arrows
            chain = [i for i in verdict.window if i in bars]
            for u, v in zip(chain, chain[1:]):
                a, b = bars[u], bars[v]
                self._extra.append(ax.annotate(
                    "", xy=(b.get_x(), b.get_y() + _BAR / 2), zorder=6,
                    xytext=(a.get_x() + a.get_width(), a.get_y() + _BAR / 2),
                    arrowprops=dict(arrowstyle="-|>", color=style.FAULT, lw=1.3, shrinkA=1, shrinkB=1)))
        skipped = _place_labels(ax, pending_labels, window, self._extra)
        if skipped:
            left = f"{skipped} label{'s' * (skipped != 1)} left out where bars are too short"
            note = f"{note}; {left}" if note else left
        points = {}
        if verdict is not None and verdict.ok and getattr(verdict, "linearization", ()):
            points = linearization_points(history, verdict.linearization)
        xs = [(points[op.id], self.lane[op.client]) for op in shown if op.id in points]
        self.ticks.set_data([x for x, _ in xs], [y for _, y in xs])
        ax.dsysedu_bars, ax.dsysedu_points = bars, points
        head = title or f"{len(history)} operations, {len(history.clients())} clients"
        if note:
            head += f"  ({note})"
        if verdict is not None:
            head += "\n" + "\n".join(textwrap.wrap(("✓ " if verdict.ok else "✗ ") + verdict.message, 110))
        self.title.set_text(head)
        self.title.set_color("black" if verdict is None or verdict.ok else style.FAULT)
        if self.legend_on:
            self._set_legend(history, keys, colour, window, bool(points))
        return ax

    def _fill_bars(self, bars) -> None:
        solid = [b for b in bars.values() if b.fill]
        self.solid.set_verts([b.corners() for b in solid])
        self.solid.set_facecolor([b.face for b in solid] or "none")
        self.solid.set_edgecolor([b.edge for b in solid] or "none")
        self.solid.set_linewidth([b.lw for b in solid] or 0.0)
        groups: dict = {}
        for b in bars.values():
            if not b.fill:
                groups.setdefault(b.edge, []).append(b)
        for edge in groups.keys() - self.open.keys():
            self.open[edge] = self.ax.add_collection(
                PolyCollection([], facecolor="none", edgecolor=edge, hatch="///", zorder=2.9), autolim=False)
        for edge, coll in self.open.items():
            group = groups.get(edge, [])
            coll.set_verts([b.corners() for b in group])
            coll.set_linewidth([b.lw for b in group] or 0.0)
            coll.set_linestyle([(0, (3, 2)) if b.ls != "-" else "-" for b in group] or "-")

    def _set_legend(self, history, keys, colour, window, ticks) -> None:
        entries = _legend_entries(history, keys, colour, window, ticks)
        if entries == self.legend_rows:
            return
        if self.legend is not None:
            self.legend.remove()
        self.legend_rows = entries
        self.legend = self.ax.legend(handles=[_handle(*e) for e in entries], loc="upper left",
                                     bbox_to_anchor=(1.01, 1.0), fontsize=style.FONT["legend"], frameon=False)


def _place_labels(ax, labels, window, out) -> int:
    """Write labels above a bar, or below it when the space above is taken (the texts go to ``out``);
    returns how many did not fit."""
    fig = ax.figure
    width_in = fig.get_figwidth() * ax.get_position().width
    x0, x1 = ax.get_xlim()
    per_point = (x1 - x0) / (width_in * 72.0)               # data units per typographic point
    char = 0.58 * style.FONT["small"] * per_point
    taken: dict = {}
    skipped = 0
    # the window's labels first, so that they are never the ones left out
    for x, y, op in sorted(labels, key=lambda item: (item[2].id not in window, item[1], item[0])):
        text = op_label(op)
        half = 0.5 * len(text) * char + 0.3 * char
        rows = taken.setdefault(y, ([], []))
        for r, (dy, va) in enumerate(((-_BAR / 2 - 0.05, "bottom"), (_BAR / 2 + 0.05, "top"))):
            if all(x + half < a or x - half > b for a, b in rows[r]):
                rows[r].append((x - half, x + half))
                out.append(ax.text(x, y + dy, text, ha="center", va=va, fontsize=style.FONT["small"], zorder=5,
                                   color=style.MUTED if op.status == "fail" else "black",
                                   fontweight="bold" if op.id in window else "normal"))
                break
        else:
            skipped += 1
    return skipped


def _legend_entries(history, keys, colour, window, ticks) -> tuple:
    """The legend's rows, as comparable (what, colour, label) triples."""
    rows = [("patch", colour[k], f"key {k}") for k in keys if k is not None]
    kinds = {op.kind for op in history}
    neutral = mcolors.to_rgba(style.NEUTRAL) if rows else colour[keys[0]]
    rows.append(("patch", neutral, "write (filled)"))
    if kinds & {"read", "dequeue"}:
        rows.append(("pale", neutral, "read (pale)"))
    if any(op.pending for op in history):
        rows.append(("open", neutral, "outcome unknown (info)"))
    if any(op.status == "fail" for op in history):
        rows.append(("failed", None, "failed (no effect)"))
    if window:
        rows.append(("outline", None, "violating window"))
    if ticks:
        rows.append(("tick", None, "linearization point"))
    return tuple(rows)


def _handle(what, c, label):
    if what == "patch":
        return Patch(facecolor=c, edgecolor=c, label=label)
    if what == "pale":
        return Patch(facecolor=(*c[:3], 0.28), edgecolor=c, label=label)
    if what == "open":
        return Patch(fill=False, edgecolor=c, ls=(0, (3, 2)), hatch="///", label=label)
    if what == "failed":
        return Patch(facecolor=style.FAILED_OPERATION, edgecolor=style.CRASHED, label=label)
    if what == "outline":
        return Patch(fill=False, edgecolor=style.FAULT, lw=2.0, label=label)
    return Line2D([], [], ls="none", marker="|", ms=10, mew=2, color=style.CURSOR, label=label)

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

from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..check.history import History
from ..check.models import op_label
from . import style

__all__ = ["history_view", "linearization_points"]

_BAR = 0.34            # bar height, in lanes
_FAILED = "#BDBDBD"    # a failed operation: a lighter shade of style.CRASHED


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
        With ``ax.dsysedu_bars`` = dict op id -> the Rectangle drawn for it, and
        ``ax.dsysedu_points`` = dict op id -> linearization time (when ticks were drawn).

    Examples
    --------
    >>> from dsysedu.check.consistency import linearizable_kv_history
    >>> ax = history_view(linearizable_kv_history(200, clients=4, keys=2, seed=1), t=(10, 20))
    """
    if isinstance(history, (list, tuple)):
        history = History(history)
    if not isinstance(history, History):
        raise TypeError(f"history_view draws a History, got {type(history).__name__}")
    if len(history) == 0:
        raise ValueError("the history is empty: nothing to draw")
    ops = list(history.ops)
    lo, hi, note = _window_range(ops, t, verdict, max_ops)
    span = hi - lo or 1.0
    right = hi + 0.04 * span                      # where open-ended bars stop
    shown = [op for op in ops if op.invoke <= hi and (op.end >= lo)]
    clients = list(dict.fromkeys(op.client for op in shown)) or list(history.clients())
    try:
        clients = sorted(clients)
    except TypeError:  # client names of mixed types: first-invocation order
        pass
    lane = {c: i for i, c in enumerate(clients)}
    keys = list(history.keys())
    try:
        keys = sorted(keys)
    except TypeError:  # keys of mixed types: first-use order
        pass
    colour = {k: style.series_color(i) for i, k in enumerate(keys)}
    if ax is None:
        import matplotlib.pyplot as plt
        _fig, ax = plt.subplots(figsize=(10, max(2.2, 0.62 * len(clients) + 1.5)), layout="constrained")
    window = set(getattr(verdict, "window", ()) or ()) if verdict is not None and not verdict.ok else set()
    culprit = getattr(verdict, "culprit", None) if window else None
    ring = set(highlight or ())
    bars, pending_labels = {}, []
    for op in shown:
        y = lane[op.client]
        x0 = op.invoke
        x1 = right if op.pending else op.complete
        width = max(x1 - x0, 0.004 * span)
        c = colour[op.key]
        if op.status == "fail":
            kw = dict(facecolor=_FAILED, edgecolor=style.CRASHED, lw=0.8)
        elif op.pending:
            kw = dict(edgecolor=c, lw=1.2, ls=(0, (3, 2)), hatch="///", fill=False)
        elif op.kind in ("read", "dequeue"):
            kw = dict(facecolor=(*_rgb(c), 0.28), edgecolor=c, lw=1.2)
        else:
            kw = dict(facecolor=c, edgecolor=c, lw=1.2)
        if op.id in window:
            kw.update(edgecolor=style.FAULT, lw=3.0 if op.id == culprit else 2.0, ls="-")
        patch = Rectangle((x0, y - _BAR / 2), width, _BAR, zorder=3, **kw)
        ax.add_patch(patch)
        bars[op.id] = patch
        if op.id in ring:
            ax.add_patch(Rectangle((x0 - 0.004 * span, y - _BAR / 2 - 0.07), width + 0.008 * span, _BAR + 0.14,
                                   facecolor=style.HIGHLIGHT, edgecolor="black", lw=0.8, zorder=2))
        if op.pending:
            ax.annotate("", xy=(right + 0.015 * span, y), xytext=(right - 0.01 * span, y), zorder=4,
                        arrowprops=dict(arrowstyle="-|>", color=c, lw=1.2))
        if op.status == "fail":
            ax.plot([x0, x0 + width], [y, y], color=style.CRASHED, lw=1.0, zorder=4)
        if labels:
            a, b = max(x0, lo), min(x0 + width, right)
            if b >= a:
                pending_labels.append(((a + b) / 2, y, op))
    if window and getattr(verdict, "property", "") == "causal consistency":
        # a causal verdict's window is a chain, in causal order: draw it as arrows
        chain = [i for i in verdict.window if i in bars]
        for u, v in zip(chain, chain[1:]):
            a, b = bars[u], bars[v]
            ax.annotate("", xy=(b.get_x(), b.get_y() + _BAR / 2), zorder=6,
                        xytext=(a.get_x() + a.get_width(), a.get_y() + _BAR / 2),
                        arrowprops=dict(arrowstyle="-|>", color=style.FAULT, lw=1.3, shrinkA=1, shrinkB=1))
    ax.set_xlim(lo - 0.02 * span, right + 0.03 * span)
    skipped = _place_labels(ax, pending_labels, window)
    if skipped:
        left = f"{skipped} label{'s' * (skipped != 1)} left out where bars are too short"
        note = f"{note}; {left}" if note else left
    points = {}
    if verdict is not None and verdict.ok and getattr(verdict, "linearization", ()):
        points = linearization_points(history, verdict.linearization)
        xs = [(points[i], lane[op.client]) for op in shown for i in (op.id,) if i in points]
        ax.plot([x for x, _ in xs], [y for _, y in xs], ls="none", marker="|", ms=16, mew=2.2,
                color=style.CURSOR, zorder=6)
    ax.dsysedu_bars, ax.dsysedu_points = bars, points
    ax.set_ylim(len(clients) - 0.45, -0.75)
    ax.set_yticks(range(len(clients)), [f"client {c}" for c in clients], fontsize=style.FONT["label"])
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=style.FONT["tick"])
    ax.set_xlabel("time", fontsize=style.FONT["label"])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.hlines(range(len(clients)), lo - 0.02 * span, right, colors=style.LANE, lw=0.6, zorder=0.5)
    head = title or f"{len(history)} operations, {len(history.clients())} clients"
    if note:
        head += f"  ({note})"
    if verdict is not None:
        head += "\n" + "\n".join(textwrap.wrap(("✓ " if verdict.ok else "✗ ") + verdict.message, 110))
    ax.set_title(head, fontsize=style.FONT["label"], loc="left",
                 color="black" if verdict is None or verdict.ok else style.FAULT)
    if legend:
        _legend(ax, history, keys, colour, window, bool(points))
    return ax


def _place_labels(ax, labels, window) -> int:
    """Write labels above a bar, or below it when the space above is taken; returns how many did not fit."""
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
                ax.text(x, y + dy, text, ha="center", va=va, fontsize=style.FONT["small"], zorder=5,
                        color="#777777" if op.status == "fail" else "black",
                        fontweight="bold" if op.id in window else "normal")
                break
        else:
            skipped += 1
    return skipped


def _rgb(c):
    import matplotlib.colors as mcolors
    return mcolors.to_rgb(c)


def _legend(ax, history, keys, colour, window, ticks):
    handles = [Patch(facecolor=colour[k], edgecolor=colour[k], label=f"key {k}") for k in keys if k is not None]
    kinds = {op.kind for op in history}
    neutral = "#666666" if handles else colour[keys[0]]
    handles.append(Patch(facecolor=neutral, edgecolor=neutral, label="write (filled)"))
    if kinds & {"read", "dequeue"}:
        handles.append(Patch(facecolor=(*_rgb(neutral), 0.28), edgecolor=neutral, label="read (pale)"))
    if any(op.pending for op in history):
        handles.append(Patch(fill=False, edgecolor=neutral, ls=(0, (3, 2)), hatch="///",
                             label="outcome unknown (info)"))
    if any(op.status == "fail" for op in history):
        handles.append(Patch(facecolor=_FAILED, edgecolor=style.CRASHED, label="failed (no effect)"))
    if window:
        handles.append(Patch(fill=False, edgecolor=style.FAULT, lw=2.0, label="violating window"))
    if ticks:
        handles.append(Line2D([], [], ls="none", marker="|", ms=10, mew=2, color=style.CURSOR,
                              label="linearization point"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=style.FONT["legend"],
              frameon=False)

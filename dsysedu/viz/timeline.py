"""Timeline view: how one observed value changed over time, node by node.

Protocols report their state with ``ctx.observe(key, value)``; this view draws those
reports. Numbers (``term``, ``rtt``, ``commit_index``) become step lines, one per node:
a value holds until the next report. Anything else (``role``, ``informed``, an outcome)
becomes coloured bands, one lane per node, in the style colours the other views use,
so a leader band here is the colour of a leader node in the topology. Crash intervals
are shaded grey, partitions light red, as in the space-time diagram.
"""
from __future__ import annotations

from numbers import Integral, Real

from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from matplotlib.patches import Patch

from dsysedu.viz import style
from ._index import TraceIndex, as_trace, view_end

__all__ = ["timeline"]


def _is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def timeline(trace, key, ax=None, nodes=None, transform=None, legend=True):
    """Draw the observed values of ``key`` over time, per node.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
    key : str
        The observed key (``"role"``, ``"term"``, ``"rtt"``...).
    ax : matplotlib Axes, optional
    nodes : list, optional
        Which nodes (default: those that observed ``key``, or all when none did).
    transform : callable, optional
        Applied to each value first, e.g. ``lambda outcome: outcome[1]`` to keep ``"ok"``
        of ``(req_id, "ok")``.
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.dsysedu_kind`` is ``"numeric"`` (step lines) or ``"categorical"`` (bands).

    Examples
    --------
    >>> from dsysedu import Scenario, run, Crash
    >>> from dsysedu.protocols.basics.toys import Flood
    >>> trace = run(Scenario(Flood, nodes=5, faults=[Crash(4, at=0.0)], until=1.0), seed=2)
    >>> ax = timeline(trace, "role")
    >>> ax.dsysedu_kind
    'categorical'
    """
    trace = as_trace(trace)
    idx = TraceIndex(trace)
    obs = [(r[0], r[2], r[6]) for r in trace.rows if r[1] == "observe" and r[5] == key]
    if transform is not None:
        obs = [(t, v, transform(x)) for t, v, x in obs]
    if nodes is None:
        seen = {v for _t, v, _x in obs}
        nodes = [v for v in trace.nodes if v in seen] or list(trace.nodes)
    nodes = list(nodes)
    values = [x for _t, _v, x in obs if x is not None]
    numeric = bool(values) and all(_is_number(x) for x in values)
    end = trace.end_time
    if ax is None:
        import matplotlib.pyplot as plt
        height = 3.2 if numeric else max(2.2, 0.45 * len(nodes) + 1.3)
        _fig, ax = plt.subplots(figsize=(10, height), layout="constrained")
    ax.set_xlim(0, max(view_end(trace), 1e-9) * 1.01)
    ax.set_xlabel("time (s)", fontsize=style.FONT["label"])
    ax.tick_params(labelsize=style.FONT["tick"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{key} over time", fontsize=style.FONT["title"], loc="left")
    for begin, stop, _groups in idx.partitions():
        ax.axvspan(begin, stop, color=style.FAULT, alpha=0.07, lw=0, zorder=0)
    crashes = idx.intervals("crash", "recover")
    handles = []
    if numeric:  # one shared axis: every crash is context (a pinger's rtt changes when a peer is down)
        ax.dsysedu_kind = "numeric"
        _numeric(ax, key, obs, nodes, end, crashes, handles)
    else:  # one lane per node: only the crashes of the lanes shown
        ax.dsysedu_kind = "categorical"
        shown = set(nodes)
        _categorical(ax, obs, nodes, end, [c for c in crashes if c[0] in shown], handles)
    if idx.partitions():
        handles.append(Patch(facecolor=style.FAULT, alpha=0.12, label="partition"))
    if legend and handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=style.FONT["legend"],
                  frameon=False, borderaxespad=0.3)
    return ax


def _numeric(ax, key, obs, nodes, end, crashes, handles):
    ax.set_ylabel(key, fontsize=style.FONT["label"])
    if all(isinstance(v, Integral) and not isinstance(v, bool) for *_rest, v in obs if v is not None):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts, terms: no 3.25 ticks
    for i, v in enumerate(nodes):
        pts = [(t, x) for t, w, x in obs if w == v and x is not None]
        if not pts:
            continue
        ts = [t for t, _ in pts] + [end]
        xs = [x for _, x in pts] + [pts[-1][1]]
        color = style.series_color(i)
        ax.step(ts, xs, where="post", color=color, lw=1.4, zorder=2)
        ax.plot(ts[:-1], xs[:-1], ls="", marker="o", ms=3, color=color, zorder=3)
        handles.append(Line2D([], [], color=color, marker="o", ms=3, lw=1.4, label=f"node {v}"))
    for j, (v, begin, stop) in enumerate(crashes):
        ax.axvspan(begin, stop, color=style.CRASHED, alpha=0.18, lw=0, zorder=1)
        ax.text((begin + stop) / 2, 1.0 - 0.07 * (j % 3), f"node {v} down", transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize=style.FONT["small"], color=style.OUTLINE_SOFT)
    if crashes:
        handles.append(Patch(facecolor=style.CRASHED, alpha=0.3, label="node crashed"))


def _hashable(x):
    try:
        hash(x)
        return x
    except TypeError:
        return ("unhashable", repr(x))


def _categorical(ax, obs, nodes, end, crashes, handles):
    lane = {v: i for i, v in enumerate(nodes)}
    ax.set_ylim(len(nodes) - 0.5, -0.5)
    ax.set_yticks(range(len(nodes)), [f"node {v}" for v in nodes], fontsize=style.FONT["label"])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    bands: dict = {}  # value key -> {lane: [(start, width), ...]}
    first: dict = {}  # value key -> the value, in the order first seen
    for v in nodes:
        mine = [(t, x) for t, w, x in obs if w == v]
        for j, (t, x) in enumerate(mine):
            if j and mine[j - 1][1] == x:
                continue  # the same value again: its band goes on
            stop = next((t2 for t2, x2 in mine[j + 1:] if x2 != x), end)
            k = _hashable(x)
            first.setdefault(k, x)
            bands.setdefault(k, {}).setdefault(lane[v], []).append((t, stop - t))
    for k, per_lane in bands.items():
        color = style.node_color(first[k])
        for y, spans in per_lane.items():
            ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=color, edgecolors=style.ANNOTATION, linewidth=0.4,
                           zorder=2)
    values = list(first.values())
    for x in values[:12]:
        handles.append(Patch(facecolor=style.node_color(x), edgecolor=style.ANNOTATION, lw=0.4, label=str(x)))
    if len(values) > 12:
        handles.append(Patch(facecolor="none", edgecolor="none", label=f"... {len(values) - 12} more"))
    for v, begin, stop in crashes:
        ax.broken_barh([(begin, stop - begin)], (lane[v] - 0.35, 0.7), facecolors=style.CRASHED,
                       edgecolors=style.OUTLINE, hatch="xx", linewidth=0.4, zorder=3)
    if crashes:
        handles.append(Patch(facecolor=style.CRASHED, edgecolor=style.OUTLINE, hatch="xx", label="crashed"))
    if not values:
        ax.text(0.5, 0.5, "nothing observed", transform=ax.transAxes, ha="center", va="center",
                color=style.MUTED, fontsize=style.FONT["label"])

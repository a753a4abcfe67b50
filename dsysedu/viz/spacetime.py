"""Space-time diagram: Lamport's picture of a run.

Each node is a horizontal lane, time runs left to right, and every message is an
arrow from the moment and lane it was sent to the moment and lane it arrived [1]_.
A lost message ends in a red cross: a message dropped as it was sent (loss, a
partition, a cut link) is a short stub a third of the way to its receiver; one dropped
on arrival (the receiver was down) reaches the receiver's lane. Crashes are thick grey
stretches of a lane between a red cross and the recovery; pauses are hatched;
partitions shade the background and name their groups; timer firings are small ticks.
``stamps`` writes Lamport or vector clocks next to sends and deliveries, and
``highlight`` rings the events a checker points at.

:class:`SpacetimeView` adds a "now" line for scrubbing: its :meth:`~SpacetimeView.draw`
moves the line and greys out the future, without redrawing the diagram.

References
----------
.. [1] L. Lamport, "Time, clocks, and the ordering of events in a distributed system",
   Communications of the ACM 21(7), 1978.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from dsysedu.viz import style
from ._index import TraceIndex, as_trace, format_groups, view_end

__all__ = ["spacetime", "SpacetimeView"]


def _messages(trace, lane):
    """Deliveries, drops and unfinished messages, each with the seqs of its events."""
    sends, deliveries, drops, inputs = {}, [], [], []
    for seq, (time, kind, node, peer, mid, data, value) in enumerate(trace.rows):
        if kind == "send":
            sends[mid] = (time, node, peer, type(data).__name__, seq)
        elif kind == "deliver":
            s = sends.get(mid)
            if s is None:
                if peer is None and node in lane:
                    inputs.append((time, node, type(data).__name__, seq, False))
                continue
            deliveries.append(dict(mid=mid, t0=s[0], src=s[1], t1=time, dst=node, type=s[3], seqs=(s[4], seq)))
        elif kind == "drop" and mid not in sends:
            if peer is None and node in lane:  # an input from outside, lost at a crashed node
                inputs.append((time, node, type(data).__name__, seq, True))
        elif kind == "drop":
            s = sends[mid]
            drops.append(dict(mid=mid, t0=s[0], src=s[1], t1=time, dst=node, type=s[3], seqs=(s[4], seq),
                              reason=value, at_send=time == s[0]))
    ended = {d["mid"] for d in deliveries} | {d["mid"] for d in drops}
    unfinished = [dict(mid=mid, t0=s[0], src=s[1], dst=s[2], type=s[3], seqs=(s[4],))
                  for mid, s in sends.items() if mid not in ended]
    keep = lambda m: m["src"] in lane and m["dst"] in lane  # noqa: E731
    return ([m for m in deliveries if keep(m)], [m for m in drops if keep(m)],
            [m for m in unfinished if keep(m)], inputs)


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def spacetime(trace, ax=None, t_range=None, stamps=None, max_messages=400, highlight=None, nodes=None,
              legend=True, title=None):
    """Draw a space-time (Lamport) diagram of ``trace``.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
    ax : matplotlib Axes, optional
        A new, wide figure when None.
    t_range : (float, float), optional
        Only this stretch of time. A message is drawn when it was sent or arrived inside it.
    stamps : None, "lamport" or "vector"
        Write each send's and delivery's clock next to it (from :meth:`Trace.clocks`).
    max_messages : int
        More messages than this are not readable: without ``t_range`` the diagram shows the
        time window of the first ``max_messages`` messages; with ``t_range`` it keeps every
        k-th message. The title says which.
    highlight : list of int, optional
        Event numbers (``seq``, the index of ``trace.events``) to ring, e.g. a checker's evidence.
        The messages they belong to are drawn thick and always kept.
    nodes : list, optional
        Which lanes, in which order (default all nodes, in ``trace.nodes`` order).
    legend : bool
        A legend outside the axes, on the right.
    title : str, optional
        A heading above the diagram's own line of counts.

    Returns
    -------
    matplotlib.axes.Axes
        With ``ax.dsysedu_counts`` = dict of how many ``arrows``, ``drops``, ``timers`` ... it drew.

    Examples
    --------
    >>> from dsysedu import Scenario, run, LinkModel, Crash
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> trace = run(Scenario(PingEcho, nodes=3, params={"rounds": 3}, link=LinkModel(loss=0.2),
    ...                      faults=[Crash(2, at=0.15)], until=0.5), seed=7)
    >>> ax = spacetime(trace, stamps="lamport")
    """
    trace = as_trace(trace)
    idx = TraceIndex(trace)
    lanes = list(trace.nodes if nodes is None else nodes)
    lane = {v: i for i, v in enumerate(lanes)}
    if stamps not in (None, "lamport", "vector"):
        raise ValueError(f"stamps must be None, 'lamport' or 'vector', got {stamps!r}")
    if ax is None:
        import matplotlib.pyplot as plt
        _fig, ax = plt.subplots(figsize=(11, max(2.6, 0.55 * len(lanes) + 1.4)), layout="constrained")
    highlight = sorted(set(highlight or ()))
    hl = set(highlight)
    deliveries, drops, unfinished, inputs = _messages(trace, lane)
    end = trace.end_time
    notes = []

    # -- which messages: a window, then thinning -----------------------------------------
    everything = sorted(deliveries + drops, key=lambda m: (m["t0"], m["mid"]))
    if t_range is None and len(everything) > max_messages:
        # end the window halfway between the last message that fits and the first that does not
        cut = everything[max_messages]["t0"]
        before = [m["t0"] for m in everything if m["t0"] < cut]
        t_range = (0.0, (before[-1] + cut) / 2 if before else cut)
        notes.append(f"first {len(before) or max_messages} of {len(everything)} messages; "
                     "pass t_range to see the rest")
    lo, hi = (0.0, max(view_end(trace), 1e-9)) if t_range is None else (float(t_range[0]), float(t_range[1]))
    if not hi > lo:
        raise ValueError(f"t_range must be (start, stop) with stop > start, got {t_range!r}")
    inside = lambda m: lo <= m["t0"] <= hi or lo <= m["t1"] <= hi  # noqa: E731
    chosen = [m for m in everything if inside(m)]
    if len(chosen) > max_messages:
        k = math.ceil(len(chosen) / max_messages)
        total = len(chosen)
        chosen = [m for i, m in enumerate(chosen) if i % k == 0 or hl & set(m["seqs"])]
        notes.append(f"every {_ordinal(k)} message ({len(chosen)} of {total})")
    delivered = [m for m in chosen if "reason" not in m]
    dropped = [m for m in chosen if "reason" in m]
    unfinished = [m for m in unfinished if lo <= m["t0"] <= hi]

    ax.set_xlim(lo - 0.01 * (hi - lo), hi + 0.01 * (hi - lo))
    ax.set_ylim(len(lanes) - 0.4, -0.6)  # node 0 on top
    ax.set_yticks(range(len(lanes)), [f"node {v}" for v in lanes], fontsize=style.FONT["label"])
    ax.tick_params(axis="x", labelsize=style.FONT["tick"])
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("time (s)", fontsize=style.FONT["label"])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.hlines(range(len(lanes)), lo, hi, colors=style.LANE, linewidth=1.0, zorder=0.5)

    lat = [m["t1"] - m["t0"] for m in delivered if m["t1"] > m["t0"]]
    typical = float(np.median(lat)) if lat else 0.02 * (hi - lo)

    # -- faults and timers: background first -----------------------------------------------
    drawn = set()  # which kinds of thing are on the picture, for the legend
    label_x, row = -np.inf, 0
    for begin, stop, groups in idx.partitions():
        if stop < lo or begin > hi:
            continue
        drawn.add("partition")
        ax.axvspan(begin, stop, color=style.FAULT, alpha=0.07, lw=0, zorder=0.1)
        # named under the last lane, where no arrow goes (the top belongs to the "now" label);
        # a label that would run into the previous one steps down a row
        x = max(begin, lo)
        row = row + 1 if x - label_x < 0.3 * (hi - lo) else 0
        label_x = x
        # rows a text line apart on screen (in points), whatever the height of a lane
        ax.annotate(f" partition {format_groups(groups)}", (x, len(lanes) - 0.42), xytext=(0, 9 * row),
                    textcoords="offset points", color=style.FAULT, fontsize=style.FONT["small"], va="bottom",
                    ha="left")
    for v, begin, stop in idx.intervals("crash", "recover"):
        if v in lane and stop >= lo and begin <= hi:
            y = lane[v]
            drawn.add("crash")
            ax.plot([begin, stop], [y, y], color=style.CRASHED, lw=7, alpha=0.75, solid_capstyle="butt",
                    zorder=1)
            ax.plot([begin], [y], marker="X", ms=11, color=style.MARK, mec="white", mew=0.8, zorder=4)
            if stop < end:
                ax.plot([stop], [y], marker="|", ms=12, mew=2.5, color=style.CRASHED, zorder=4)
    for v, begin, stop in idx.intervals("pause", "resume"):
        if v in lane and stop >= lo and begin <= hi:
            drawn.add("pause")
            ax.add_patch(Rectangle((begin, lane[v] - 0.16), stop - begin, 0.32, facecolor="none",
                                   edgecolor=style.ANNOTATION, hatch="////", lw=0.8, zorder=1))
    for (u, v), begin, stop in idx.intervals("cut", "restore"):
        if u in lane and v in lane and stop >= lo and begin <= hi:
            y = lane[u] + 0.22
            drawn.add("cut")
            ax.plot([begin, stop], [y, y], color=style.FAULT, lw=1.2, ls=(0, (2, 2)), zorder=1)
            # labelled at its end: its start is where the sends that it blocks begin
            ax.text(min(stop, hi), y + 0.03, f"{u}\u2192{v} cut ", color=style.FAULT,
                    fontsize=style.FONT["small"], va="top", ha="right", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
    ticks = [(r[0], lane[r[2]]) for r in trace.rows if r[1] == "timer_fire" and r[2] in lane and lo <= r[0] <= hi]
    if ticks:
        tt = np.array(ticks)
        ax.scatter(tt[:, 0], tt[:, 1], marker="|", s=60, c=style.ANNOTATION, linewidths=1.0, zorder=2, gid="timers")

    # -- messages -------------------------------------------------------------------------
    color = {tn: style.message_color(tn) for tn in idx.message_types}
    if highlight:
        thick = [m for m in delivered + dropped if hl & set(m["seqs"])]
        segs = [[(m["t0"], lane[m["src"]]), _end_point(m, lane, typical)] for m in thick]
        ax.add_collection(LineCollection(segs, colors=style.HIGHLIGHT, linewidths=6, zorder=2.5,
                                         capstyle="round"))
    if delivered:
        x = np.array([m["t0"] for m in delivered])
        y = np.array([lane[m["src"]] for m in delivered], dtype=float)
        u = np.array([m["t1"] - m["t0"] for m in delivered])
        w = np.array([lane[m["dst"]] - lane[m["src"]] for m in delivered], dtype=float)
        ax.quiver(x, y, u, w, color=[color[m["type"]] for m in delivered], angles="xy", scale_units="xy",
                  scale=1, width=0.0018, headwidth=5, headlength=7, headaxislength=6, zorder=3,
                  gid="arrows")
    if dropped:
        segs = [[(m["t0"], lane[m["src"]]), _end_point(m, lane, typical)] for m in dropped]
        ax.add_collection(LineCollection(segs, colors=[color[m["type"]] for m in dropped], linewidths=1.1,
                                         linestyles=(0, (4, 2)), zorder=3, gid="drop_lines"))
        ends = np.array([s[1] for s in segs])
        ax.scatter(ends[:, 0], ends[:, 1], marker="x", s=40, c=style.FAULT, linewidths=2, zorder=3.5,
                   gid="drops")
    if unfinished:
        segs = []
        for m in unfinished:
            y0, y1 = lane[m["src"]], lane[m["dst"]]
            frac = min(0.9, (end - m["t0"]) / typical) if typical > 0 else 0.5
            segs.append([(m["t0"], y0), (end, y0 + (y1 - y0) * frac)])
        ax.add_collection(LineCollection(segs, colors=[color[m["type"]] for m in unfinished], linewidths=1.0,
                                         linestyles=":", zorder=3, gid="unfinished"))
    ins = [i for i in inputs if lo <= i[0] <= hi]
    if ins:  # a message from outside (a client): a small arrowhead dropping onto the lane
        drawn.add("input")
        ax.scatter([i[0] for i in ins], [lane[i[1]] - 0.13 for i in ins], marker="v", s=40,
                   c=[style.message_color(i[2]) for i in ins], zorder=3, gid="inputs")
        lost = [i for i in ins if i[4]]
        if lost:
            ax.scatter([i[0] for i in lost], [lane[i[1]] for i in lost], marker="x", s=40, c=style.FAULT,
                       linewidths=2, zorder=3.5, gid="lost_inputs")

    if stamps:
        _stamps(ax, trace, delivered + dropped, lane, stamps)
    if highlight:
        pts = [_event_point(trace, s, lane, typical) for s in highlight]
        pts = np.array([p for p in pts if p is not None]).reshape(-1, 2)
        ax.scatter(pts[:, 0], pts[:, 1], s=160, facecolors=style.HIGHLIGHT, edgecolors="black",
                   linewidths=1.5, zorder=2.6, gid="highlight")
        notes.append(f"{len(highlight)} highlighted event{'s' if len(highlight) != 1 else ''}")

    heading = title
    title = f"{len(delivered)} delivered, {len(dropped)} dropped"
    if getattr(trace, "truncated", False):  # a bound stopped the run: what is drawn is not its end
        notes.append(f"run cut off by its bound, {trace.ended_by}")
    if unfinished:
        title += f", {len(unfinished)} still in flight at the end"
    if notes:
        title += "  (" + "; ".join(notes) + ")"
    if heading is not None:  # the caller's heading on top, the counts below it
        title = f"{heading}\n{title}"
    ax.set_title(title, fontsize=style.FONT["title"], loc="left")
    ax.dsysedu_counts = {"arrows": len(delivered), "drops": len(dropped), "unfinished": len(unfinished),
                         "timers": len(ticks), "inputs": len(ins), "t_range": (lo, hi)}
    if legend:
        drawn.update(k for k, on in (("drop", dropped), ("timer", ticks), ("highlight", highlight)) if on)
        _legend(ax, [m["type"] for m in chosen + unfinished], drawn)
    return ax


def _end_point(m, lane, typical):
    """Where a message's line ends: its delivery, or the red cross of its drop."""
    y0, y1 = lane[m["src"]], lane[m["dst"]]
    if m.get("at_send"):  # dropped as it was sent: a stub a third of the way over
        return (m["t0"] + typical / 3, y0 + (y1 - y0) / 3)
    return (m["t1"], y1)


def _event_point(trace, seq, lane, typical):
    time, kind, node, peer, mid, _data, _value = trace.rows[seq]
    if kind == "drop" and node in lane and peer in lane:
        sent = next((r[0] for r in trace.rows if r[1] == "send" and r[4] == mid), None)
        if sent == time:
            return (time + typical / 3, lane[peer] + (lane[node] - lane[peer]) / 3)
    if node in lane:
        return (time, lane[node])
    return None


def _stamps(ax, trace, msgs, lane, how):
    """Write clocks beside sends (right of the point) and deliveries (left of it).

    Each label goes on the side away from its arrow. Sends at one point (a broadcast) share
    one label whose changing parts are ranges: ``57-60`` or ``[4-7,0,0]``. Labels that would
    overlap their neighbour on the same lane and side move one row further out (up to 3 rows).
    """
    lam, vc = trace.clocks()
    groups: dict = {}
    for m in msgs:
        y0, y1 = lane[m["src"]], lane[m["dst"]]
        for j, seq in enumerate(m["seqs"]):
            if trace.rows[seq][1] not in ("send", "deliver"):
                continue
            x = trace.rows[seq][0]
            # screen-up is a smaller lane number; the arrow leaves (send) or arrives (deliver)
            # towards the other lane, so the label goes to the opposite side
            if j == 0:
                key = (x, y0, y1 > y0, "left")
            else:
                key = (x, y1, y0 > y1, "right")
            groups.setdefault(key, []).append(lam[seq] if how == "lamport" else vc[seq])
    size = style.FONT["small"]
    x0, x1 = ax.get_xlim()
    bbox = ax.get_position()
    points_per_unit = bbox.width * ax.figure.get_figwidth() * 72 / max(x1 - x0, 1e-12)
    box = dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85)
    rows_end: dict = {}
    for (x, y, up, ha), stamps in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        text = _combine(stamps)
        width = len(text) * size * 0.6 + 4
        left = x * points_per_unit + (5 if ha == "left" else -5 - width)
        level = 0
        ends = rows_end.setdefault((y, up), [-np.inf, -np.inf, -np.inf])
        while level < 2 and ends[level] > left:
            level += 1
        ends[level] = max(ends[level], left + width)
        dy = (4 + 9 * level) * (1 if up else -1)
        ax.annotate(text, (x, y), xytext=(5 if ha == "left" else -5, dy), textcoords="offset points",
                    ha=ha, va="bottom" if up else "top", fontsize=size, bbox=box, zorder=5)


def _combine(stamps) -> str:
    """One label for several clocks at one point: ranges where they differ."""
    def span(values):
        a, b = min(values), max(values)
        return str(a) if a == b else f"{a}\u2013{b}"
    if not isinstance(stamps[0], tuple):
        return span(stamps)
    return "[" + ",".join(span(col) for col in zip(*stamps)) + "]"


def _legend(ax, types, drawn):
    handles = [Line2D([], [], color=style.message_color(tn), lw=1.5, marker=">", markevery=[1], ms=5,
                      label=tn) for tn in dict.fromkeys(types)]
    if "drop" in drawn:
        handles.append(Line2D([], [], color=style.MUTED, lw=1.1, ls=(0, (4, 2)), marker="x", markevery=[1],
                              mec=style.FAULT, mew=2, ms=7, label="dropped"))
    if "crash" in drawn:
        handles.append(Line2D([], [], color=style.CRASHED, lw=6, alpha=0.75, marker="X", markevery=[0], ms=9,
                              mfc=style.MARK, mec="white", label="crashed (down)"))
    if "pause" in drawn:
        handles.append(Patch(facecolor="none", edgecolor=style.ANNOTATION, hatch="////", label="paused"))
    if "partition" in drawn:
        handles.append(Patch(facecolor=style.FAULT, alpha=0.12, label="partition"))
    if "cut" in drawn:
        handles.append(Line2D([], [], color=style.FAULT, ls=(0, (2, 2)), label="one-way cut"))
    if "input" in drawn:
        handles.append(Line2D([], [], color=style.ANNOTATION, marker="v", ls="", ms=6, label="input from outside"))
    if "timer" in drawn:
        handles.append(Line2D([], [], color=style.ANNOTATION, marker="|", ls="", ms=8, label="timer fires"))
    if "highlight" in drawn:
        handles.append(Line2D([], [], marker="o", ls="", ms=10, mfc=style.HIGHLIGHT, mec="black",
                              label="highlighted"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=style.FONT["legend"],
              frameon=False, borderaxespad=0.3)


class SpacetimeView:
    """A space-time diagram with a movable "now" line, for scrubbing through a run.

    Parameters
    ----------
    trace : Trace or pandas.DataFrame
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :func:`spacetime` (``t_range``, ``stamps``, ``max_messages``, ``highlight``,
        ``nodes``, ``legend``).

    Attributes
    ----------
    cursor : Line2D
        The vertical "now" line (``gid="now"``).
    future : Rectangle
        The translucent white cover over everything after now (``gid="future"``).

    Notes
    -----
    The diagram itself is drawn once. If the trace grows (a step-mode run), call
    :meth:`refresh` to draw it again; :meth:`draw` only moves "now".

    Examples
    --------
    >>> from dsysedu import Scenario, run
    >>> from dsysedu.protocols.basics.toys import PingEcho
    >>> view = SpacetimeView(run(Scenario(PingEcho, nodes=3, params={"rounds": 3}), seed=1))
    >>> _ = view.draw(0.12)
    """

    def __init__(self, trace, ax=None, **kwargs):
        self.trace = as_trace(trace)
        self._kwargs = kwargs
        self.ax = ax
        self.t = None
        self.refresh()

    def refresh(self) -> None:
        """Draw the diagram again from the trace (after a step-mode run added events)."""
        if self.ax is not None and self.ax.has_data():
            self.ax.clear()
        self.ax = spacetime(self.trace, ax=self.ax, **self._kwargs)
        self.fig = self.ax.figure
        self._rows = len(self.trace.rows)
        lo, hi = self.ax.get_xlim()
        y0, y1 = self.ax.get_ylim()
        self._hi = hi
        self.future = Rectangle((hi, min(y0, y1)), 0.0, abs(y1 - y0), facecolor="white", alpha=0.7,
                                edgecolor="none", zorder=6, gid="future")
        self.ax.add_patch(self.future)
        self.cursor = self.ax.axvline(lo, color=style.CURSOR, lw=1.2, zorder=7, gid="now")
        # lift the title so that the "now" label above the axes never runs into it
        self.ax.set_title(self.ax.get_title(loc="left"), loc="left", fontsize=style.FONT["title"], pad=16)
        self.label = self.ax.text(lo, 1.0, "", transform=self.ax.get_xaxis_transform(), ha="center",
                                  va="bottom", fontsize=style.FONT["small"], zorder=7)
        self._lo = lo
        # moving parts must not move the layout (the title is lifted to make room instead)
        for artist in (self.future, self.cursor, self.label):
            artist.set_in_layout(False)
        if self.t is not None:
            self.draw(self.t)

    def draw(self, t: float) -> list:
        """Move "now" to time ``t``; return the artists that changed."""
        t = float(t)
        self.t = t
        x = min(max(t, self._lo), self._hi)  # a time outside the diagram pins "now" to its edge
        self.cursor.set_xdata([x, x])
        self.future.set_x(x)
        self.future.set_width(max(0.0, self._hi - x))
        self.label.set_position((x, 1.0))
        self.label.set_text(f"now {t:.3f} s")
        return [self.cursor, self.future, self.label]

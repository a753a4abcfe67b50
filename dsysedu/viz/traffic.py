"""The traffic view: queues, goodput and latency of a run of callers, balancers and queue servers.

Three axes side by side, from a trace of :mod:`dsysedu.systems.resilience.overload` nodes:

1. each backend's queue length over time (the slow ones in the warning colour);
2. goodput (requests answered per second) and the load the backends received, per half second,
   beside the offered rate;
3. the latency percentiles p50, p99 and p99.9 after the first second (bars on a log scale; a
   request that failed counts with the time it took to fail).

:class:`TrafficPanel` keeps the figure for a playground: a new run updates its artists in place
(new lines only when the backends change), and redraws the axes themselves only when a limit
changes (limits are rounded to 5, 10, 20, 30, 50, 75, 100, ...); scrubbing moves only the "now" lines.
"""
from __future__ import annotations

import numpy as np

from dsysedu.systems.resilience.measures import (goodput_series, offered_rate, slow_servers, traffic_record,
                                                 traffic_summary)
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

from . import style
from .render import LayeredBlitter, new_figure

__all__ = ["traffic_view", "TrafficPanel"]

_PERCENTILES = ("p50", "p99", "p99.9")
_BAR_COLORS = (style.series_color(0), style.series_color(4), style.FAULT)
_NICE = (5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 20_000,
         50_000, 100_000)


def _ceiling(v: float) -> float:
    """The smallest of 5, 10, 20, 30, 50, 75, 100, ... at or above ``v``: axis limits that change rarely."""
    return float(next((n for n in _NICE if n >= v), v))


def _queues(trace) -> dict:
    """server -> (times, lengths) of its queue samples."""
    out: dict = {}
    for t, server, n in traffic_record(trace)["queue"]:
        ts, ns = out.setdefault(server, ([], []))
        ts.append(t)
        ns.append(n)
    return {s: (np.array(ts), np.array(ns)) for s, (ts, ns) in sorted(out.items())}


class TrafficPanel:
    """The traffic view (see the module docstring), kept for a playground or drawn once.

    Parameters
    ----------
    size : (float, float)
        Figure size in inches (90 dpi).

    The slow backends and the offered rate are read from each run (the servers' and callers'
    ``service`` and ``rate`` observations).

    Examples
    --------
    >>> from dsysedu.systems.discovery import balancing_scenario
    >>> panel = TrafficPanel()
    >>> panel.show(balancing_scenario(backends=3, rate=100.0, until=2.0).run(seed=1), 0.0)
    >>> panel.png(1.0)[:4]
    b'\\x89PNG'
    """

    def __init__(self, size=(12.0, 3.4)):
        self.fig = new_figure(*size)
        self.fig.subplots_adjust(left=0.045, right=0.99, bottom=0.15, top=0.89, wspace=0.22)
        gs = self.fig.add_gridspec(1, 3, width_ratios=(1.3, 1.3, 0.75))
        self.ax_q, self.ax_g, self.ax_l = (self.fig.add_subplot(gs[i]) for i in range(3))
        for ax, title in ((self.ax_q, "queue length per backend (red: slow)"), (self.ax_g, "requests per second"),
                          (self.ax_l, "latency (after 1 s)")):
            ax.set_title(title, fontsize=style.FONT["title"])
            ax.tick_params(labelsize=style.FONT["tick"])
        for ax in (self.ax_q, self.ax_g):
            ax.set_xlabel("time (s)", fontsize=style.FONT["label"], labelpad=1)
            ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        self.queue_lines: dict = {}
        self.slow: tuple = ()
        self.load, = self.ax_g.step([], [], where="post", color=style.ANNOTATION, lw=1.0, label="backend load")
        self.good, = self.ax_g.step([], [], where="post", color=style.VERDICT_OK, lw=1.8, label="goodput")
        self.offered = self.ax_g.axhline(0.0, color=style.FAINT, ls="--", lw=1.0, label="offered")
        self.ax_g.legend(fontsize=style.FONT["legend"], loc="upper center", ncols=3, framealpha=0.85)
        self.bars = self.ax_l.bar(_PERCENTILES, [1.0] * 3, color=_BAR_COLORS, width=0.6)
        self.ax_l.set_yscale("log")
        self.ax_l.set_ylim(1, 20_000)
        self.ax_l.yaxis.set_major_locator(FixedLocator([1, 10, 100, 1_000, 10_000]))
        self.ax_l.yaxis.set_minor_locator(NullLocator())
        self.ax_l.set_ylabel("ms", fontsize=style.FONT["label"], labelpad=1)
        self.labels = [self.ax_l.annotate("", (b.get_x() + b.get_width() / 2, 1.0), ha="center", va="bottom",
                                          fontsize=style.FONT["small"] + 1, xytext=(0, 2), textcoords="offset points")
                       for b in self.bars]
        self.now = [ax.axvline(0.0, color=style.NOW_ON_CURVE, lw=1.2, zorder=5) for ax in (self.ax_q, self.ax_g)]
        self.blitter = LayeredBlitter(self.fig)
        self._frame = None
        self._stills: dict = {}      # axis limits -> the still picture drawn for them

    def show(self, trace, t: float, measures=None, **_ignored) -> None:
        """A new run, shown at time ``t`` (``measures``: its ``traffic_summary`` after 1 s, if known)."""
        m = measures if isinstance(measures, dict) and all(p in measures for p in _PERCENTILES) else \
            traffic_summary(trace, since=min(1.0, trace.end_time / 2))
        end = max(trace.end_time, 1e-9)
        new_lines = self._queues(trace)
        g = goodput_series(trace, 0.5)
        xs = np.append(g.index.to_numpy(), end)
        self.load.set_data(xs, np.append(g["server load"].to_numpy(), g["server load"].to_numpy()[-1:]))
        self.good.set_data(xs, np.append(g["goodput"].to_numpy(), g["goodput"].to_numpy()[-1:]))
        rate = offered_rate(trace)
        self.offered.set_ydata([rate, rate])
        gtop = _ceiling(1.45 * max(rate, float(g.to_numpy().max(initial=1.0))))
        self.ax_g.set_ylim(0, gtop)
        for ax in (self.ax_q, self.ax_g):
            ax.set_xlim(0, end)
        ms = [1000 * m[p] if m[p] == m[p] else 0.0 for p in _PERCENTILES]
        for bar, label, v in zip(self.bars, self.labels, ms):
            bar.set_height(max(v, 1.0))
            label.set_text(f"{v:.0f} ms")
            label.xy = (bar.get_x() + bar.get_width() / 2, max(v, 1.0))
        layer = [*self.queue_lines.values(), self.load, self.good, self.offered, *self.bars, *self.labels]
        frame = (end, self.ax_q.get_ylim(), gtop)
        if new_lines:
            self._stills.clear()
        if frame == self._frame and not new_lines:
            self.blitter.relayer(self.now, layer=layer)     # the axes stay: only the data is drawn again
        else:
            self._frame = frame
            self.blitter.reset(self.now, layer=layer)
            if frame in self._stills:                        # these limits were drawn before
                self.blitter.still = self._stills[frame]
        self._move(t)

    def _queues(self, trace) -> bool:
        """Update the queue lines (True: they were made anew)."""
        queues = _queues(trace)
        slow = slow_servers(trace)
        new = list(queues) != list(self.queue_lines) or slow != self.slow
        if new:
            for line in self.queue_lines.values():
                line.remove()
            self.queue_lines = {}
            for i, server in enumerate(queues):
                is_slow = server in slow
                self.queue_lines[server], = self.ax_q.plot(
                    [], [], lw=1.8 if is_slow else 1.0, color=style.FAULT if is_slow else style.series_color(i),
                    alpha=1.0 if is_slow else 0.8, zorder=3 if is_slow else 2)
            self.slow = slow
        top = 1
        for server, (ts, ns) in queues.items():
            self.queue_lines[server].set_data(ts, ns)
            top = max(top, int(ns.max(initial=0)))
        self.ax_q.set_ylim(0, _ceiling(1.1 * top))
        return new

    def _move(self, t) -> None:
        for line in self.now:
            line.set_xdata(np.array([t, t]))

    def png(self, t: float) -> bytes:
        """The picture with the "now" lines at ``t``."""
        self._move(float(t))
        out = self.blitter.png()
        if len(self._stills) < 32:
            self._stills.setdefault(self._frame, self.blitter.still)
        return out


def traffic_view(trace, t=None):
    """The traffic view of ``trace`` (see the module docstring), its "now" lines at ``t`` (default:
    the end); returns the Figure.

    Examples
    --------
    >>> from dsysedu.systems.discovery import balancing_scenario
    >>> fig = traffic_view(balancing_scenario(backends=3, rate=100.0, until=2.0).run(seed=1))
    >>> len(fig.axes)
    3
    """
    panel = TrafficPanel()
    panel.show(trace, trace.end_time if t is None else t)
    for line in panel.now:
        line.set_animated(False)
    return panel.fig

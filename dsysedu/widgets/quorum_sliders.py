"""N, R and W as sliders: how fresh a quorum read is, and what it waits for.

:class:`QuorumSliders` is the small widget of chapter 3.2.1. Three sliders choose the replicas N,
the read quorum R and the write quorum W (R and W never exceed N); every change recomputes, in the
WARS model, the probability that a read sees the latest acknowledged write against the time since
the acknowledgement (:func:`~dsysedu.protocols.replication.quorum.staleness_sweep`) and the latency
of a write and a read (:func:`~dsysedu.protocols.replication.latency.quorum_latency`), and redraws.
The logic is :meth:`QuorumSliders.measure`, which a test calls without a browser.
"""
from __future__ import annotations

import ipywidgets as W
import numpy as np

from dsysedu.protocols.replication.latency import quorum_latency
from dsysedu.protocols.replication.quorum import check_quorum, staleness_sweep
from dsysedu.sim.validate import positive_int
from dsysedu.viz import staleness_plot, style
from dsysedu.viz.render import new_figure, png_bytes

__all__ = ["QuorumSliders"]

MAX_N = 9
TIMES = np.linspace(0.0, 0.06, 31)   # seconds after the acknowledgement


class QuorumSliders:
    """Sliders for N, R and W beside the staleness curve and the quorum latencies.

    Parameters
    ----------
    n, r, w : int
        Starting values (``1 <= r, w <= n <= 9``).
    seed : None or int
        Seeds the Monte-Carlo (the same seed draws the same delays for every setting).
    trials : int
        Monte-Carlo trials per redraw (4,000 redraws in well under a second).

    Raises
    ------
    ValueError, TypeError
        For quorums outside ``1..N`` or N above 9.

    Examples
    --------
    >>> q = QuorumSliders(3, 1, 1, seed=7)
    >>> q.w.value = 3
    >>> q.numbers["strict"], q.r.max
    (True, 3)
    """

    def __init__(self, n: int = 3, r: int = 1, w: int = 1, *, seed=7, trials: int = 4000):
        check_quorum(n, r, w)
        if n > MAX_N:
            raise ValueError(f"QuorumSliders shows N up to {MAX_N}, got {n}")
        self.seed, self.trials = seed, positive_int("trials", trials)
        slider = dict(continuous_update=False, layout=W.Layout(width="260px"), style={"description_width": "110px"})
        self.n = W.IntSlider(n, min=1, max=MAX_N, description="replicas N", **slider)
        self.r = W.IntSlider(r, min=1, max=n, description="read quorum R", **slider)
        self.w = W.IntSlider(w, min=1, max=n, description="write quorum W", **slider)
        self.summary = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="760px"))
        self.fig = new_figure(7.6, 3.4, layout="constrained")
        self.ax = self.fig.add_subplot(111)
        self.numbers: dict = {}
        self.widget = W.VBox([W.HBox([self.n, self.r, self.w]), self.summary, self.image])
        for s in (self.n, self.r, self.w):
            s.observe(self._changed, names="value")
        self.refresh()

    def _changed(self, _change) -> None:
        n = self.n.value
        # keep R and W inside 1..N: setting max clips the value (and calls us again, harmlessly)
        self.r.max, self.w.max = n, n
        self.refresh()

    def measure(self, n: int, r: int, w: int) -> tuple:
        """The staleness table and the latencies (seconds) for one setting."""
        curve = staleness_sweep(n, [(r, w)], TIMES, trials=self.trials, seed=self.seed)
        return curve, quorum_latency(n, r, w, trials=self.trials, seed=self.seed)

    def refresh(self) -> None:
        n, r, w = self.n.value, min(self.r.value, self.n.value), min(self.w.value, self.n.value)
        curve, lat = self.measure(n, r, w)
        strict = r + w > n
        self.numbers = {"n": n, "r": r, "w": w, "strict": strict, "p_at_ack": float(curve.p_consistent.iloc[0]),
                        **lat}
        verdict = (f"R + W = {r + w} &gt; N = {n}: <b>strict</b>, every read meets a replica with the last "
                   "acknowledged write" if strict else
                   f"R + W = {r + w} &le; N = {n}: <b>partial</b>, a read right after the acknowledgement sees the "
                   f"write with probability {self.numbers['p_at_ack']:.2f}")
        colour = style.VERDICT_OK if strict else style.VERDICT_BAD
        self.summary.value = (f"<div style='font-size:14px;color:{colour}'>{verdict}</div>"
                              f"<div style='font-size:13px'>write waits for {w} of {n} acks: median "
                              f"{lat['write_median'] * 1000:.1f} ms (99th percentile {lat['write_p99'] * 1000:.1f} ms);"
                              f" read waits for {r} of {n} answers: median {lat['read_median'] * 1000:.1f} ms "
                              f"(99th percentile {lat['read_p99'] * 1000:.1f} ms)</div>")
        self.ax.clear()
        staleness_plot(curve, ax=self.ax, title=f"N = {n}, R = {r}, W = {w}")
        self.image.value = png_bytes(self.fig)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)

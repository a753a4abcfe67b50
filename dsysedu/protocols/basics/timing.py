"""Timing models: synchronous, asynchronous and partially synchronous networks, as a switch.

The timing model says what a process may assume about delays (时序模型):

* **synchronous** (同步): every message arrives within a known bound ``bound``;
* **asynchronous** (异步): no bound at all; here a heavy-tailed (log-normal) delay, so a
  message is now and then very late;
* **partially synchronous** (部分同步), after Dwork, Lynch and Stockmeyer [1]_: the network
  is asynchronous until an unknown *global stabilization time* ``gst``, then synchronous.
  A message sent at time ``t`` arrives by ``max(t, gst) + bound``.

:func:`timing_link` builds the link for each model and :func:`timing_scenario` a whole
experiment, by default four nodes running the engine's
:class:`~dsysedu.protocols.membership.failure_detectors.HeartbeatDetector`, whose mistakes
:func:`~dsysedu.protocols.membership.failure_detectors.detector_quality` measures. With ``timeout >
interval + bound`` the detector never suspects a live node under synchrony, and under
partial synchrony no false suspicion *starts* at or after ``gst + timeout`` and none lasts
past ``gst + interval + bound`` (:func:`gst_sweep` measures it). :class:`AdaptiveHeartbeatDetector`
does not know the bound: it lengthens a peer's timeout after each mistake about it, the
construction of an eventually perfect detector ◇P (Chandra and Toueg [2]_).

The partially synchronous link depends on *when* a message is sent: :class:`AfterGST` is a
time-dependent latency, so the simulator hands it the send time.

References
----------
.. [1] C. Dwork, N. Lynch and L. Stockmeyer, "Consensus in the presence of partial
   synchrony", Journal of the ACM 35(2), 1988.
.. [2] T. D. Chandra and S. Toueg, "Unreliable failure detectors for reliable distributed
   systems", Journal of the ACM 43(2), 1996.

Examples
--------
>>> from dsysedu import run
>>> trace = run(timing_scenario(model="sync", until=3.0), seed=1)
>>> detector_quality(trace)["false_suspicions"]
0
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dsysedu.sim.validate import number, positive_int
from dsysedu.sim.faults import Crash
from dsysedu.sim.kernel import run
from dsysedu.sim.network import Latency, LinkModel, LogNormal, Uniform, as_latency
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed
from dsysedu.protocols.membership.failure_detectors import Heartbeat, HeartbeatDetector, detector_quality

__all__ = ["MODELS", "AfterGST", "timing_link", "timing_scenario", "AdaptiveHeartbeatDetector",
           "mistakes_after", "gst_sweep", "model_table"]

MODELS = ("sync", "async", "partial")


@dataclass(frozen=True)
class AfterGST(Latency):
    """Asynchronous until ``gst``, synchronous after: the delay of a message sent at ``t`` is
    drawn from ``before`` and capped at ``max(0, gst - t) + bound``, so it arrives by
    ``max(t, gst) + bound``; from ``gst`` on it is drawn from ``after`` (at most ``bound``).

    The simulator passes it the send time (``time_dependent``), so plain :func:`dsysedu.sim.run` works.
    """
    gst: float = 2.0
    before: Latency = field(default_factory=lambda: LogNormal(0.02, 1.5))
    after: Latency = field(default_factory=lambda: Uniform(0.005, 0.05))
    bound: float = 0.05

    def __post_init__(self):
        number("AfterGST.gst", self.gst, low=0.0)
        object.__setattr__(self, "before", as_latency(self.before, "AfterGST.before"))
        object.__setattr__(self, "after", as_latency(self.after, "AfterGST.after"))
        number("AfterGST.bound", self.bound, low=0.0, low_open=True)
        high = getattr(self.after, "high", getattr(self.after, "delay", None))
        if high is None or high > self.bound:
            raise ValueError(f"AfterGST.after must be a Constant or Uniform latency of at most bound={self.bound:g} s, "
                             f"got {self.after!r}")

    def sample_at(self, rnd, now: float) -> float:
        """The delay of a message sent at ``now``."""
        if now >= self.gst:
            return self.after.sample(rnd)
        return min(self.before.sample(rnd), self.gst - now + self.bound)

    time_dependent = True

    def sample(self, rnd) -> float:
        raise TypeError("AfterGST latency depends on when a message is sent: call sample_at(rnd, now); "
                        "the simulator does so by itself")

    @property
    def mean(self) -> float:  # not meaningful without a time; the mean after GST
        return self.after.mean


def timing_link(model: str = "sync", *, gst: float = 2.0, bound: float = 0.05, low: float = 0.005,
                median: float = 0.02, sigma: float = 1.5) -> LinkModel:
    """The link of a timing model.

    Parameters
    ----------
    model : "sync", "async" or "partial"
    gst : float
        Global stabilization time (seconds; only for ``"partial"``).
    bound : float
        The synchronous bound on delay (seconds).
    low : float
        The smallest delay (seconds, below ``bound``).
    median, sigma : float
        The asynchronous delay: log-normal with this median (seconds) and shape.

    Examples
    --------
    >>> timing_link("sync").latency
    Uniform(low=0.005, high=0.05)
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    bound = number("bound", bound, low=0.0, low_open=True)
    number("low", low, low=0.0, high=bound)
    sync = Uniform(low, bound)
    slow = LogNormal(median, sigma)
    if model == "sync":
        return LinkModel(latency=sync)
    if model == "async":
        return LinkModel(latency=slow)
    return LinkModel(latency=AfterGST(gst, slow, sync, bound))


def timing_scenario(protocol=HeartbeatDetector, model: str = "sync", *, gst: float = 2.0, bound: float = 0.05,
                    nodes=4, params=None, until: float = 6.0, faults=(), **link) -> Scenario:
    """One experiment under a timing model: the same protocol, nodes and faults, a different network.

    By default four heartbeat detectors with ``interval=0.1`` and ``timeout=0.2`` (more than
    ``interval + bound``). Extra keyword arguments go to :func:`timing_link`.

    Examples
    --------
    >>> sc = timing_scenario(model="partial", gst=1.0, until=2.0)
    >>> type(sc.link.latency).__name__
    'AfterGST'
    """
    if params is None:
        params = {"interval": 0.1, "timeout": 0.2} if protocol is HeartbeatDetector else {}
    number("gst", gst, low=0.0)
    return Scenario(protocol, nodes=nodes, params=params, link=timing_link(model, gst=gst, bound=bound, **link),
                    until=until, faults=tuple(faults), name=f"{protocol.__name__} under {model} timing")


class AdaptiveHeartbeatDetector(HeartbeatDetector):
    """A heartbeat detector that does not know the delay bound: each mistake lengthens the timeout.

    When a heartbeat arrives from a peer it suspects, the suspicion was wrong: it is withdrawn
    and that peer's timeout grows by ``increase`` seconds. Under partial synchrony each peer
    can cause only finitely many mistakes after GST, so the detector is eventually perfect
    (◇P, Chandra and Toueg 1996). The current timeouts are observed as ``timeouts``.

    Examples
    --------
    >>> tr = run(timing_scenario(AdaptiveHeartbeatDetector, "partial", gst=1.0, until=3.0,
    ...                                 params={"timeout": 0.12}), seed=2)
    >>> mistakes_after(tr, 1.0 + 1.0)
    0
    """

    def __init__(self, node_id, peers=(), interval=0.1, timeout=0.15, increase=0.05):
        super().__init__(node_id, peers, interval=interval, timeout=timeout)
        self.increase = number("AdaptiveHeartbeatDetector.increase", increase, low=0.0, low_open=True)
        self.timeouts = {p: self.timeout for p in self.peers}

    def on_start(self, ctx):
        ctx.observe("suspects", self.suspects)
        ctx.set_timer("heartbeat", 0.0)
        for p in self.peers:
            ctx.set_timer(("timeout", p), self.timeouts[p])

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Heartbeat):
            if src in self.suspects:  # a mistake: wait longer for this peer from now on
                self.timeouts = {**self.timeouts, src: self.timeouts[src] + self.increase}
                self.suspects = self.suspects - {src}
                ctx.observe("suspects", self.suspects)
                ctx.observe("timeouts", tuple(sorted(self.timeouts.items())))
            ctx.set_timer(("timeout", src), self.timeouts[src])


def mistakes_after(trace, t: float) -> int:
    """How many false suspicions started at or after time ``t``."""
    m = detector_quality(trace)["mistakes"]
    return int((m["start"] >= t).sum())


def gst_sweep(gsts, seeds=range(5), *, protocol=HeartbeatDetector, params=None, bound: float = 0.05,
              until: float | None = None, nodes: int = 4, crash=None, **link) -> pd.DataFrame:
    """False suspicions of a detector under partial synchrony, for several GSTs and seeds.

    Each run lasts ``until`` (default: the largest GST plus 2 s). ``crash`` optionally
    crashes ``(node, at)``. One row per (gst, seed): ``gst, seed, false_suspicions,
    last_start`` (when the last false suspicion began; NaN if none), ``last_end`` (when the
    last one ended), ``after_gst`` (false suspicions that started at or after GST).
    """
    gsts = [number("gst", g, low=0.0) for g in gsts]
    if not gsts:
        raise ValueError("gsts must hold at least one GST")
    positive_int("nodes", nodes, low=2)
    until = max(gsts) + 2.0 if until is None else number("until", until, low=max(gsts), low_open=True)
    rows = []
    for gst in gsts:
        faults = () if crash is None else (Crash(crash[0], at=crash[1]),)
        sc = timing_scenario(protocol, "partial", gst=gst, bound=bound, nodes=nodes, params=params, until=until,
                             faults=faults, **link)
        for seed in seeds:
            seed = normalize_seed(seed)
            m = detector_quality(run(sc, seed=seed))["mistakes"]
            rows.append({"gst": gst, "seed": seed, "false_suspicions": len(m),
                         "last_start": float(m["start"].max()) if len(m) else float("nan"),
                         "last_end": float(m["end"].max()) if len(m) else float("nan"),
                         "after_gst": int((m["start"] >= gst).sum())})
    return pd.DataFrame(rows)


def model_table(seeds=range(5), *, protocol=HeartbeatDetector, params=None, gst: float = 2.0,
                until: float = 6.0, nodes: int = 4, **link) -> pd.DataFrame:
    """False suspicions of one detector under each timing model: one row per (model, seed)."""
    rows = []
    for model in MODELS:
        sc = timing_scenario(protocol, model, gst=gst, nodes=nodes, params=params, until=until, **link)
        for seed in seeds:
            q = detector_quality(run(sc, seed=seed))
            rows.append({"model": model, "seed": normalize_seed(seed), "false_suspicions": q["false_suspicions"],
                         "strong_accuracy": q["strong_accuracy"]})
    return pd.DataFrame(rows)

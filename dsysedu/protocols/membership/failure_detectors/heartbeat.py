"""Heartbeat failure detectors: a fixed timeout, and the φ accrual detector that learns the gaps.

:class:`HeartbeatDetector` suspects a peer whose heartbeat is ``timeout`` late;
:class:`PhiAccrualDetector` turns the time since the last heartbeat into a level of suspicion
φ ([1]_, :func:`phi`) from the heartbeat gaps it has seen, and suspects above a threshold. Both
observe ``("suspects", frozenset)`` whenever their output changes.

References
----------
.. [1] N. Hayashibara, X. Défago, R. Yared and T. Katayama, "The φ accrual failure
   detector", SRDS 2004.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from dsysedu.sim.node import Node
from dsysedu.sim.validate import number, positive_int

__all__ = ["Heartbeat", "HeartbeatDetector", "phi", "PhiAccrualDetector"]


# -- heartbeats -----------------------------------------------------------------

@dataclass(frozen=True)
class Heartbeat:
    """"I am alive": the ``seq``-th heartbeat of its sender."""
    seq: int


class HeartbeatDetector(Node):
    """Send a heartbeat to every peer each ``interval``; suspect a peer silent for ``timeout``.

    A new heartbeat from a suspect removes the suspicion. With a bound on message delay
    ``d`` and ``timeout > interval + d`` the detector is perfect (strong completeness and
    accuracy); without such a bound a tight ``timeout`` makes mistakes.

    Parameters
    ----------
    interval : float
        Seconds between heartbeats (> 0).
    timeout : float
        Seconds of silence before a peer is suspected (> 0).

    Raises
    ------
    ValueError, TypeError
        If a parameter is out of range or not a number; the message names it.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> t = run(Scenario(HeartbeatDetector, nodes=3, faults=[Crash(2, at=1.0)], until=2.0))
    >>> t.value_at("suspects", 2.0)[0]
    frozenset({2})
    """

    def __init__(self, node_id, peers=(), interval=0.1, timeout=0.35):
        super().__init__(node_id, peers)
        self.interval = number("HeartbeatDetector.interval", interval, low=0.0, low_open=True)
        self.timeout = number("HeartbeatDetector.timeout", timeout, low=0.0, low_open=True)
        self.seq = 0
        self.suspects: frozenset = frozenset()

    def on_start(self, ctx):
        ctx.observe("suspects", self.suspects)
        ctx.set_timer("heartbeat", 0.0)
        for p in self.peers:
            ctx.set_timer(("timeout", p), self.timeout)

    def on_timer(self, ctx, name):
        if name == "heartbeat":
            self.seq += 1
            ctx.broadcast(Heartbeat(self.seq))
            ctx.set_timer("heartbeat", self.interval)
        else:  # ("timeout", p): p has been silent for `timeout`
            self.suspects = self.suspects | {name[1]}
            ctx.observe("suspects", self.suspects)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Heartbeat):
            ctx.set_timer(("timeout", src), self.timeout)
            if src in self.suspects:
                self.suspects = self.suspects - {src}
                ctx.observe("suspects", self.suspects)


# -- phi accrual ----------------------------------------------------------------

def phi(elapsed: float, intervals, min_std: float = 0.01) -> float:
    """The suspicion level φ after ``elapsed`` seconds of silence, given past inter-arrival times.

    Inter-arrival times are modelled as normal with the window's mean and standard deviation
    (at least ``min_std``); ``φ = -log10(P_later(elapsed))`` where ``P_later`` is the
    probability that a heartbeat comes later than ``elapsed`` [1]_. φ = 1 means a 10 %
    chance that suspecting now is a mistake, φ = 2 a 1 % chance, and so on.

    Parameters
    ----------
    elapsed : float
        Seconds since the last heartbeat (>= 0).
    intervals : sequence of float
        Recent inter-arrival times (at least one).
    min_std : float
        Floor on the standard deviation (> 0), so that a perfectly regular window does
        not make φ jump to infinity just after the mean.

    Returns
    -------
    float
        φ >= 0; ``math.inf`` when ``P_later`` underflows.

    Examples
    --------
    >>> round(phi(0.1, [0.1, 0.1, 0.1]), 3)   # at the mean: P_later = 1/2
    0.301
    >>> phi(0.2, [0.1, 0.1]) > phi(0.15, [0.1, 0.1])
    True
    """
    elapsed = number("phi elapsed", elapsed, low=0.0)
    min_std = number("phi min_std", min_std, low=0.0, low_open=True)
    xs = [float(x) for x in intervals]
    if not xs:
        raise ValueError("phi intervals must hold at least one inter-arrival time")
    mean = sum(xs) / len(xs)
    var = sum((x - mean) ** 2 for x in xs) / len(xs)
    std = max(math.sqrt(var), min_std)
    p_later = 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2.0)))
    return math.inf if p_later <= 0.0 else max(0.0, -math.log10(p_later))


class PhiAccrualDetector(Node):
    """The φ accrual failure detector of Hayashibara et al. [1]_.

    Every node heartbeats each ``interval``. For each peer it keeps the last ``window``
    inter-arrival times; every ``check_interval`` it computes :func:`phi` of the time since
    that peer's last heartbeat and suspects the peer while φ > ``threshold``. A higher
    threshold waits longer before suspecting, and so is wrong less often.

    Parameters
    ----------
    interval : float
        Seconds between heartbeats (> 0).
    threshold : float
        Suspect when φ exceeds it (> 0; 8 is common in practice).
    window : int
        How many inter-arrival times to keep per peer (>= 1).
    min_std : float
        Floor on the standard deviation (> 0).
    check_interval : float or None
        Seconds between checks (> 0); default ``interval / 2``.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> sc = Scenario(PhiAccrualDetector, nodes=3, faults=[Crash(1, at=1.0)], until=2.0)
    >>> run(sc).value_at("suspects", 2.0)[0]
    frozenset({1})
    """

    def __init__(self, node_id, peers=(), interval=0.1, threshold=8.0, window=50, min_std=0.01,
                 check_interval=None):
        super().__init__(node_id, peers)
        name = "PhiAccrualDetector"
        self.interval = number(f"{name}.interval", interval, low=0.0, low_open=True)
        self.threshold = number(f"{name}.threshold", threshold, low=0.0, low_open=True)
        self.window = positive_int(f"{name}.window", window)
        self.min_std = number(f"{name}.min_std", min_std, low=0.0, low_open=True)
        if check_interval is None:
            check_interval = self.interval / 2
        self.check_interval = number(f"{name}.check_interval", check_interval, low=0.0, low_open=True)
        self.seq = 0
        self.last: dict = {}        # peer -> time of its last heartbeat
        self.intervals: dict = {}   # peer -> tuple of recent inter-arrival times
        self.suspects: frozenset = frozenset()

    def on_start(self, ctx):
        # Before any heartbeat arrives, pretend one did at the start with the nominal
        # interval (the "first heartbeat estimate" of practical implementations).
        for p in self.peers:
            self.last[p] = ctx.now
            self.intervals[p] = (self.interval,)
        ctx.observe("suspects", self.suspects)
        ctx.set_timer("heartbeat", 0.0)
        ctx.set_timer("check", self.check_interval)

    def phi_of(self, peer, now: float) -> float:
        """φ of ``peer`` at time ``now``."""
        return phi(now - self.last[peer], self.intervals[peer], self.min_std)

    def _update(self, ctx):
        suspects = frozenset(p for p in self.peers if self.phi_of(p, ctx.now) > self.threshold)
        if suspects != self.suspects:
            self.suspects = suspects
            ctx.observe("suspects", suspects)

    def on_timer(self, ctx, name):
        if name == "heartbeat":
            self.seq += 1
            ctx.broadcast(Heartbeat(self.seq))
            ctx.set_timer("heartbeat", self.interval)
        elif name == "check":
            self._update(ctx)
            ctx.set_timer("check", self.check_interval)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Heartbeat):
            window = self.intervals[src] + (ctx.now - self.last[src],)
            self.intervals[src] = window[-self.window:]
            self.last[src] = ctx.now
            if src in self.suspects:
                self._update(ctx)

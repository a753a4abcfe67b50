"""Failure detectors: heartbeats, phi accrual and SWIM, and their quality measured from a trace.

A failure detector is a module at each node that outputs a set of *suspects*: the
nodes it currently believes have crashed. Chandra and Toueg [1]_ classify detectors by
two properties:

* **completeness**: every crashed node is eventually suspected (*strong*: by every
  correct node; *weak*: by some correct node);
* **accuracy**: *strong*, no node is suspected before it crashes; *weak*, some correct
  node is never suspected.

In an asynchronous system no detector has both strong properties: a slow node cannot be
told from a crashed one. Chen, Toueg and Aguilera [2]_ replace the yes/no properties with
numbers, which this module computes from a :class:`~dsysedu.sim.trace.Trace`: the
*detection time* of a crash, the *false-suspicion rate* and the *mistake duration*.

Every detector here observes ``("suspects", frozenset)`` whenever its output changes.
:class:`SwimDetector` also observes ``("faulty", frozenset)``, the confirmed subset.

References
----------
.. [1] T. D. Chandra and S. Toueg, "Unreliable failure detectors for reliable distributed
   systems", Journal of the ACM 43(2), 1996.
.. [2] W. Chen, S. Toueg and M. K. Aguilera, "On the quality of service of failure
   detectors", IEEE Transactions on Computers 51(5), 2002.
.. [3] N. Hayashibara, X. Défago, R. Yared and T. Katayama, "The φ accrual failure
   detector", SRDS 2004.
.. [4] A. Das, I. Gupta and A. Motivala, "SWIM: scalable weakly-consistent infection-style
   process group membership protocol", DSN 2002.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable

import pandas as pd

from dsysedu.check import Verdict
from dsysedu.sim.validate import number, positive_int
from dsysedu.sim.faults import Crash
from dsysedu.sim.network import Constant, LinkModel, LogNormal
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario

__all__ = ["Heartbeat", "HeartbeatDetector", "PhiAccrualDetector", "phi", "Ping", "PingReq", "Ack",
           "ALIVE", "SUSPECT", "FAULTY", "SwimDetector", "detector_quality", "completeness", "accuracy", "tradeoff"]


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
    probability that a heartbeat comes later than ``elapsed`` [3]_. φ = 1 means a 10 %
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
    """The φ accrual failure detector of Hayashibara et al. [3]_.

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


# -- SWIM -----------------------------------------------------------------------

ALIVE, SUSPECT, FAULTY = "alive", "suspect", "faulty"


@dataclass(frozen=True)
class Ping:
    """A probe; ``updates`` are piggybacked membership updates ``(member, status, incarnation)``."""
    seq: int
    updates: tuple = ()


@dataclass(frozen=True)
class PingReq:
    """Ask the receiver to probe ``target`` on the sender's behalf."""
    seq: int
    target: Hashable
    updates: tuple = ()


@dataclass(frozen=True)
class Ack:
    """``target`` answered probe ``seq`` (directly, or through a ping-req relay)."""
    seq: int
    target: Hashable
    updates: tuple = ()


class SwimDetector(Node):
    """SWIM failure detection with suspicion and infection-style dissemination [4]_.

    Each protocol ``period`` a node pings one random member. Without an ack within
    ``ack_timeout`` it asks ``k`` random members to ping the target for it (ping-req). Still
    no ack by the end of the period: the target becomes *suspect*, and after
    ``suspect_timeout`` *faulty* (confirmed) unless refuted. A live node that hears it is
    suspected refutes by raising its *incarnation* number and spreading ``alive``.

    Membership updates ride on pings, ping-reqs and acks: at most ``max_piggyback`` per
    message, each sent ``ceil(piggyback_factor * log2(n + 1))`` times.

    Precedence of an update about member m (paper §4.2): ``alive(i)`` overrides
    ``suspect(j)`` and ``alive(j)`` when i > j; ``suspect(i)`` overrides ``alive(j)`` when
    i >= j and ``suspect(j)`` when i > j; ``faulty(i)`` overrides both when i >= j. Here a
    wrongly confirmed node may rejoin by refuting with a higher incarnation.

    Observes ``suspects`` (members not believed alive: suspect or faulty, the detector's
    output in the sense of [1]_) and ``faulty`` (the confirmed ones). The incarnation is
    durable: a node that recovers from a crash announces ``alive`` with a newer one and is
    taken back (the paper's join protocol is not modelled).

    Parameters
    ----------
    period : float
        Protocol period (> 0).
    ack_timeout : float
        Seconds to wait for a direct ack (> 0, < period).
    k : int
        Members asked to ping-req (>= 0).
    suspect_timeout : float
        Seconds a suspicion lasts before it is confirmed (> 0).
    piggyback_factor : float
        λ: each update is piggybacked λ log2(n+1) times (> 0).
    max_piggyback : int
        Most updates carried by one message (>= 1).

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> t = run(Scenario(SwimDetector, nodes=4, faults=[Crash(3, at=0.5)], until=4.0))
    >>> t.value_at("faulty", 4.0)[0]
    frozenset({3})
    """

    durable = ("incarnation",)

    def __init__(self, node_id, peers=(), period=0.2, ack_timeout=0.05, k=2, suspect_timeout=0.6,
                 piggyback_factor=3.0, max_piggyback=6):
        super().__init__(node_id, peers)
        name = "SwimDetector"
        self.period = number(f"{name}.period", period, low=0.0, low_open=True)
        self.ack_timeout = number(f"{name}.ack_timeout", ack_timeout, low=0.0, low_open=True)
        if self.ack_timeout >= self.period:
            raise ValueError(f"{name}.ack_timeout must be < period ({self.period}), got {ack_timeout!r}")
        self.k = positive_int(f"{name}.k", k, low=0)
        self.suspect_timeout = number(f"{name}.suspect_timeout", suspect_timeout, low=0.0, low_open=True)
        self.piggyback_factor = number(f"{name}.piggyback_factor", piggyback_factor, low=0.0, low_open=True)
        self.max_piggyback = positive_int(f"{name}.max_piggyback", max_piggyback)
        self.retransmits = max(1, math.ceil(self.piggyback_factor * math.log2(len(self.peers) + 2)))
        self.incarnation = 0
        self.members = {p: (ALIVE, 0) for p in self.peers}  # member -> (status, incarnation)
        self.updates: dict = {}   # member -> [status, incarnation, times left to piggyback]
        self.seq = 0              # numbers my pings, own probes and relayed ones alike
        self.probe = 0            # the seq of this period's own probe
        self.target = None        # the member probed this period
        self.acked = True
        self.relays: dict = {}    # my probe seq -> (origin, origin's seq, target)
        self.suspects: frozenset = frozenset()
        self.faulty: frozenset = frozenset()
        self.published = (self.suspects, self.faulty)  # the outputs last observed

    def on_start(self, ctx):
        ctx.observe("suspects", self.suspects)
        ctx.observe("faulty", self.faulty)
        ctx.set_timer("period", 0.0)

    def on_recover(self, ctx):
        # The incarnation is durable: a recovered node rejoins by announcing a newer one,
        # which overrides the "faulty" the others hold about its old incarnation.
        self.incarnation += 1
        self._enqueue(self.id, ALIVE, self.incarnation)
        self.on_start(ctx)

    # dissemination
    def _enqueue(self, member, status, inc):
        self.updates[member] = [status, inc, self.retransmits]

    def _piggyback(self) -> tuple:
        # least-sent updates first (paper §4.1): they are the freshest news
        chosen = sorted(self.updates, key=lambda m: (-self.updates[m][2], repr(m)))[:self.max_piggyback]
        out = []
        for m in chosen:
            u = self.updates[m]
            out.append((m, u[0], u[1]))
            u[2] -= 1
            if u[2] <= 0:
                del self.updates[m]
        return tuple(out)

    def _apply(self, ctx, updates):
        for m, status, inc in updates:
            if m == self.id:
                if status != ALIVE and inc >= self.incarnation:  # refute
                    self.incarnation = inc + 1
                    self._enqueue(self.id, ALIVE, self.incarnation)
                continue
            if m not in self.members:
                continue
            cur, ci = self.members[m]
            if status == ALIVE:
                wins = inc > ci
            elif status == SUSPECT:
                wins = inc > ci or (inc == ci and cur == ALIVE)
            else:
                wins = inc > ci or (inc == ci and cur != FAULTY)
            if wins:
                self._set(ctx, m, status, inc)

    def _set(self, ctx, m, status, inc):
        self.members[m] = (status, inc)
        self._enqueue(m, status, inc)
        if status == SUSPECT:
            ctx.set_timer(("confirm", m), self.suspect_timeout)
        else:
            ctx.cancel_timer(("confirm", m))
        # keep the outputs up to date here, so publishing costs nothing in big groups
        self.suspects = self.suspects - {m} if status == ALIVE else self.suspects | {m}
        self.faulty = self.faulty | {m} if status == FAULTY else self.faulty - {m}

    def _publish(self, ctx):
        suspects, faulty = self.published
        if self.suspects != suspects:
            ctx.observe("suspects", self.suspects)
        if self.faulty != faulty:
            ctx.observe("faulty", self.faulty)
        self.published = (self.suspects, self.faulty)

    def _pick(self, rng, exclude=()):
        """A random member that is not faulty and not in ``exclude`` (None if there is none)."""
        if not self.peers:
            return None
        for _ in range(8):  # rejection sampling: O(1) while most members are fine
            m = self.peers[rng.randrange(len(self.peers))]
            if m not in exclude and self.members[m][0] != FAULTY:
                return m
        rest = [m for m in self.peers if m not in exclude and self.members[m][0] != FAULTY]
        return rng.choice(rest) if rest else None

    # handlers
    def on_timer(self, ctx, name):
        if name == "period":
            if self.target is not None and not self.acked and self.members[self.target][0] == ALIVE:
                self._set(ctx, self.target, SUSPECT, self.members[self.target][1])
            self.target = self._pick(ctx.rng)
            if self.target is not None:
                self.seq += 1
                self.probe = self.seq
                self.acked = False
                ctx.send(self.target, Ping(self.seq, self._piggyback()))
                ctx.set_timer("ack_timeout", self.ack_timeout)
            ctx.set_timer("period", self.period)
        elif name == "ack_timeout":
            if not self.acked and self.target is not None:
                helpers = []
                for _ in range(self.k):
                    h = self._pick(ctx.rng, exclude=(self.target, *helpers))
                    if h is None:
                        break
                    helpers.append(h)
                    ctx.send(h, PingReq(self.probe, self.target, self._piggyback()))
        else:  # ("confirm", m): the suspicion was not refuted in time
            m = name[1]
            status, inc = self.members[m]
            if status == SUSPECT:
                self._set(ctx, m, FAULTY, inc)
        self._publish(ctx)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, (Ping, PingReq, Ack)):
            return
        self._apply(ctx, msg.updates)
        if isinstance(msg, Ping):
            ctx.send(src, Ack(msg.seq, self.id, self._piggyback()))
        elif isinstance(msg, PingReq):
            self.seq += 1
            self.relays[self.seq] = (src, msg.seq, msg.target)
            if len(self.relays) > 64:  # forget the oldest relay whose target never answered
                del self.relays[next(iter(self.relays))]
            ctx.send(msg.target, Ping(self.seq, self._piggyback()))
        elif msg.seq == self.probe and msg.target == self.target:  # direct or relayed
            self.acked = True
        elif msg.seq in self.relays:
            origin, origin_seq, target = self.relays.pop(msg.seq)
            if target == msg.target:
                ctx.send(origin, Ack(origin_seq, target, self._piggyback()))
        self._publish(ctx)


# -- measuring quality ------------------------------------------------------------

def _timelines(trace, key):
    """Per observer: list of (time, seq, frozenset) of its ``key`` observations, and crash spans."""
    obs = {n: [] for n in trace.nodes}
    crashes = {n: [] for n in trace.nodes}   # node -> [(crash time, recover time or None, seq)]
    for seq, r in enumerate(trace.rows):
        t, kind, node = r[0], r[1], r[2]
        if kind == "observe" and r[5] == key:
            obs.setdefault(node, []).append((t, seq, frozenset(r[6])))
        elif kind == "crash":
            crashes.setdefault(node, []).append([t, None, seq])
            obs.setdefault(node, []).append((t, seq, None))  # a crashed node outputs nothing
        elif kind == "recover" and crashes.get(node):
            crashes[node][-1][1] = t
    return obs, crashes


def _spans(timeline, member, end):
    """Intervals ``[start, stop, seq_of_start]`` during which ``member`` is in the observer's output."""
    out, cur = [], None
    for t, seq, value in timeline:
        inside = value is not None and member in value
        if inside and cur is None:
            cur = [t, end, seq]
        elif not inside and cur is not None:
            cur[1] = t
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def _crashed_at(crashes, node, t) -> bool:
    return any(c <= t and (r is None or t < r) for c, r, _ in crashes.get(node, ()))


def detector_quality(trace, detector_key: str = "suspects") -> dict:
    """Completeness, accuracy and the QoS metrics of Chen, Toueg and Aguilera [2]_ from a trace.

    A node is *correct* if it never crashes during the run (paused and slow nodes are
    correct: suspecting them is a mistake).

    Parameters
    ----------
    trace : Trace
        A run of a detector that observes ``(detector_key, frozenset)``.
    detector_key : str
        The observation key holding the detector's output.

    Returns
    -------
    dict
        ``detections``: DataFrame ``crashed, crash_time, observer, detection_time`` (NaN when
        the observer never suspected the crashed node for good); ``mistakes``: DataFrame
        ``observer, suspect, start, end, duration, seq``; and the numbers
        ``mean_detection_time``, ``max_detection_time``, ``strong_completeness``,
        ``false_suspicions``, ``false_suspicion_rate`` (per ordered observer pair per second),
        ``mean_mistake_duration``, ``strong_accuracy``, ``weak_accuracy``.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> t = run(Scenario(HeartbeatDetector, nodes=3, faults=[Crash(2, at=1.0)], until=2.0))
    >>> q = detector_quality(t)
    >>> q["strong_completeness"], q["false_suspicions"]
    (True, 0)
    """
    end = trace.end_time
    obs, crashes = _timelines(trace, detector_key)
    nodes = list(trace.nodes)
    correct = [n for n in nodes if not crashes.get(n)]
    det_rows = []
    for c in nodes:
        for ct, rt, _ in crashes.get(c, ()):
            stop = end if rt is None else rt
            for o in correct:
                spans = _spans(obs[o], c, end)
                # detection: the start of the suspicion that lasts until the crash ends (or the run)
                d = math.nan
                for s, e, _ in spans:
                    if s <= stop and e >= stop and e > ct:
                        d = max(s, ct) - ct
                det_rows.append((c, ct, o, d))
    detections = pd.DataFrame(det_rows, columns=["crashed", "crash_time", "observer", "detection_time"])
    mis_rows = []
    for o in nodes:
        for q in nodes:
            if q == o:
                continue
            for s, e, seq in _spans(obs[o], q, end):
                if _crashed_at(crashes, q, s):
                    continue
                # a mistake ends when the suspicion is withdrawn, or becomes true when q crashes
                later = [c for c, _, _ in crashes.get(q, ()) if s < c < e]
                stop = min(later) if later else e
                mis_rows.append((o, q, s, stop, stop - s, seq))
    mistakes = pd.DataFrame(mis_rows, columns=["observer", "suspect", "start", "end", "duration", "seq"])
    pairs = len(nodes) * (len(nodes) - 1)
    ever_suspected = set(mistakes["suspect"])
    return {
        "detections": detections,
        "mistakes": mistakes,
        "mean_detection_time": float(detections["detection_time"].mean()) if len(detections) else math.nan,
        "max_detection_time": float(detections["detection_time"].max()) if len(detections) else math.nan,
        "strong_completeness": bool(detections["detection_time"].notna().all()),
        "false_suspicions": int(len(mistakes)),
        "false_suspicion_rate": len(mistakes) / (pairs * end) if pairs and end > 0 else 0.0,
        "mean_mistake_duration": float(mistakes["duration"].mean()) if len(mistakes) else 0.0,
        "strong_accuracy": len(mistakes) == 0,
        "weak_accuracy": any(n not in ever_suspected for n in correct),
    }


def completeness(trace, key: str = "suspects", strong: bool = True) -> Verdict:
    """Check that every crashed node is suspected at the end of the run by every correct node
    (``strong``) or by some correct node (weak).

    The verdict's events are the crash rows that were not detected.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> from dsysedu.sim.faults import Crash
    >>> completeness(run(Scenario(HeartbeatDetector, nodes=3, faults=[Crash(1, at=0.5)], until=1.5))).ok
    True
    """
    end = trace.end_time
    obs, crashes = _timelines(trace, key)
    correct = [n for n in trace.nodes if not crashes.get(n)]
    name = ("strong" if strong else "weak") + " completeness"
    bad, missed = [], []
    for c in trace.nodes:
        if not crashes.get(c) or crashes[c][-1][1] is not None:
            continue  # never crashed, or recovered: nothing to detect at the end
        seq = crashes[c][-1][2]
        holders = [o for o in correct if obs[o] and obs[o][-1][2] is not None and c in obs[o][-1][2]]
        if (strong and len(holders) < len(correct)) or (not strong and not holders):
            bad.append(seq)
            missed.append((c, sorted(set(correct) - set(holders), key=repr)))
    if bad:
        c, who = missed[0]
        return Verdict(False, name, f"crashed node {c!r} not suspected at t={end:g} by {who}", bad)
    return Verdict(True, name, f"every crashed node suspected by {'every' if strong else 'some'} correct node")


def accuracy(trace, key: str = "suspects", strong: bool = True) -> Verdict:
    """Check strong accuracy (no node suspected before it crashes) or weak accuracy (some
    correct node is never suspected by anyone).

    The verdict's events are the observations that began a wrong suspicion.

    Examples
    --------
    >>> from dsysedu.sim import Scenario, run
    >>> accuracy(run(Scenario(HeartbeatDetector, nodes=3, until=1.0))).ok
    True
    """
    q = detector_quality(trace, key)
    m = q["mistakes"]
    if strong:
        if len(m):
            first = m.sort_values("start").to_dict("records")[0]  # per-column types: node ids stay ints
            return Verdict(False, "strong accuracy",
                           f"node {first['observer']!r} suspected live node {first['suspect']!r} "
                           f"at t={first['start']:g} ({len(m)} mistakes)", tuple(m["seq"]))
        return Verdict(True, "strong accuracy", "no node was suspected before it crashed")
    if q["weak_accuracy"]:
        return Verdict(True, "weak accuracy", "some correct node was never suspected")
    return Verdict(False, "weak accuracy", "every correct node was suspected at some time", tuple(m["seq"]))


def tradeoff(detector, params_grid, jitter_values=(0.0,), loss_values=(0.0,), seeds=(0, 1, 2), *,
             nodes=4, median_latency=0.01, crash_at=2.0, until=5.0, detector_key="suspects") -> pd.DataFrame:
    """Sweep a detector's parameters against network jitter and loss: detection time vs mistakes.

    Each run has ``nodes`` nodes on links with log-normal latency (median ``median_latency``,
    shape ``jitter``; constant when jitter is 0) and loss ``loss``; the last node crashes at
    ``crash_at``. One row per (params, jitter, loss), averaged over ``seeds`` (the mistake
    duration is the mean over all mistakes of all seeds). ``detector_key`` picks the output
    measured (``"faulty"`` for SWIM's confirmed failures).

    Returns
    -------
    DataFrame
        ``detector, params, jitter, loss, mean_detection_time, false_suspicion_rate,
        false_suspicions, mean_mistake_duration, completeness`` (share of seeds with strong
        completeness).

    Examples
    --------
    >>> df = tradeoff(HeartbeatDetector, [{"timeout": 0.3}], seeds=[0], until=3.0)
    >>> round(float(df["false_suspicion_rate"][0]), 3)
    0.0
    """
    if not (isinstance(detector, type) and issubclass(detector, Node)):
        raise TypeError(f"tradeoff detector must be a Node subclass, got {detector!r}")
    positive_int("tradeoff nodes", nodes, low=2)
    number("tradeoff crash_at", crash_at, low=0.0)
    number("tradeoff until", until, low=crash_at, low_open=True)
    rows = []
    for params in params_grid:
        if not isinstance(params, dict):
            raise TypeError(f"tradeoff params_grid items must be dicts, got {params!r}")
        for jitter in jitter_values:
            latency = LogNormal(median_latency, jitter) if jitter > 0 else Constant(median_latency)
            for loss in loss_values:
                sc = Scenario(detector, nodes=nodes, params=params, link=LinkModel(latency=latency, loss=loss),
                              faults=(Crash(nodes - 1, at=crash_at),), until=until)
                qs = [detector_quality(sc.run(seed=s), detector_key) for s in seeds]
                if not qs:
                    raise ValueError("tradeoff seeds must hold at least one seed")
                durations = pd.concat([q["mistakes"]["duration"] for q in qs])
                rows.append({
                    "detector": detector.__name__,
                    "params": ", ".join(f"{k}={v}" for k, v in sorted(params.items())),
                    "jitter": jitter, "loss": loss,
                    "mean_detection_time": float(pd.Series([q["mean_detection_time"] for q in qs]).mean()),
                    "false_suspicion_rate": sum(q["false_suspicion_rate"] for q in qs) / len(qs),
                    "false_suspicions": sum(q["false_suspicions"] for q in qs) / len(qs),
                    "mean_mistake_duration": float(durations.mean()) if len(durations) else 0.0,
                    "completeness": sum(q["strong_completeness"] for q in qs) / len(qs),
                })
    return pd.DataFrame(rows)

"""FLP in miniature: a round-based binary consensus, a scheduler that keeps it undecided, and two ways out.

Fischer, Lynch and Paterson [1]_ proved that no *deterministic* consensus protocol for an
asynchronous system can guarantee to decide if even one process may crash: some schedule
of message deliveries keeps it *bivalent* (both decisions still reachable) for ever. This
module shows the idea on one protocol; it does not prove the theorem.

:class:`RoundConsensus` is Ben-Or's protocol [2]_ for ``n > 2f`` processes. Each round has
two phases, and in each a process waits for ``n - f`` messages (it cannot wait for all:
``f`` may have crashed), and for a timeout or all ``n``:

1. broadcast ``Report(r, x)``; with reports in hand, propose the value that more than half
   of all ``n`` processes reported, or ``None``;
2. broadcast ``Propose(r, v)``; with proposals in hand, **decide** ``v`` if at least
   ``f + 1`` proposed it; adopt any proposed ``v`` as ``x``; with none, keep ``x``
   (deterministic) or flip a coin (``randomized=True``, Ben-Or).

Two majorities intersect, so no two values are proposed in one round, and ``f + 1``
proposals of ``v`` reach every process's ``n - f``: agreement and validity always hold.

:func:`run_scheduled` runs the nodes under a *scheduler* that picks, at every step, which
pending message to deliver or which timer to fire (the network and the clock are the
adversary's). ``"adversary"`` delivers to each process a balanced view of the reports,
one value against the other, and fires its timer as soon as it has ``n - f``: nobody ever
sees a majority, every proposal is ``None``, and a deterministic protocol keeps its split
values round after round. It never drops or holds back a message for long: each arrives
once it can no longer tip the balance. With coins the adversary loses: once the coins
agree, no balanced view exists. Once every process has reached round ``gst`` the scheduler
turns ``"synchronous"`` (every message before any timeout), everyone sees all ``n`` reports,
and the deterministic protocol decides too, in round ``gst`` or ``gst + 1``, when ``n`` is odd
and nobody crashed. (With a crash, or ``n`` even, two halves can see the same tie for ever:
partially synchronous protocols such as that of Dwork, Lynch and Stockmeyer (1988) break
ties with a rotating coordinator instead.)

References
----------
.. [1] M. J. Fischer, N. A. Lynch and M. S. Paterson, "Impossibility of distributed consensus
   with one faulty process", Journal of the ACM 32(2), 1985.
.. [2] M. Ben-Or, "Another advantage of free choice: completely asynchronous agreement
   protocols", PODC 1983.

Examples
--------
>>> stuck = run_scheduled(values=(0, 1, 0), scheduler="adversary", max_rounds=10)
>>> stuck.decided, stuck.rounds_undecided
(False, 10)
>>> coin = run_scheduled(values=(0, 1, 0), scheduler="adversary", randomized=True, max_rounds=10, seed=3)
>>> coin.decided
True
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

from dsysedu.check import all_hold
from .properties import agreement, validity
from dsysedu.sim.validate import number, positive_int
from dsysedu.sim.node import CANCEL_TIMER, OBSERVE, SEND, SET_TIMER, Context, Node
from dsysedu.sim.streams import normalize_seed, stream
from dsysedu.sim.trace import Trace

__all__ = ["Report", "Propose", "RoundConsensus", "HastyConsensus", "SCHEDULERS", "ScheduledRun", "run_scheduled", "rounds_table"]

SCHEDULERS = ("fifo", "random", "synchronous", "adversary")


@dataclass(frozen=True)
class Report:
    """Phase 1 of ``round``: my current value."""
    round: int
    value: int


@dataclass(frozen=True)
class Propose:
    """Phase 2 of ``round``: the majority value I saw, or None."""
    round: int
    value: int | None


class RoundConsensus(Node):
    """Ben-Or's round-based binary consensus, deterministic unless ``randomized``.

    Parameters
    ----------
    value : 0 or 1
        This process's input.
    f : int
        How many crashes to tolerate; ``n = len(peers) + 1`` must exceed ``2 f``.
    randomized : bool
        With no proposal seen, flip a coin (Ben-Or) instead of keeping the value.
    timeout : float
        Seconds to wait for more than ``n - f`` messages in a phase (under the simulator).
    max_rounds : int
        Stop after this many rounds (every run is bounded).

    Observes ``proposed`` (the input), ``round`` (each new round) and ``decided`` (once).
    """

    needs_complete_graph = True   # n = len(peers) + 1: every node must be linked to every other

    def __init__(self, node_id, peers=(), value=0, f=1, randomized=False, timeout=0.1, max_rounds=30):
        super().__init__(node_id, peers)
        if value not in (0, 1) or isinstance(value, bool):
            raise ValueError(f"RoundConsensus.value must be 0 or 1, got {value!r}")
        self.n = len(self.peers) + 1
        self.f = positive_int("RoundConsensus.f", f, low=0)
        if self.n <= 2 * self.f:
            raise ValueError(f"RoundConsensus needs n > 2f processes; n={self.n}, f={self.f}")
        if not isinstance(randomized, bool):
            raise TypeError(f"RoundConsensus.randomized must be True or False, got {randomized!r}")
        self.randomized = randomized
        self.timeout = number("RoundConsensus.timeout", timeout, low=0.0, low_open=True)
        self.max_rounds = positive_int("RoundConsensus.max_rounds", max_rounds)
        self.x = value
        self.round = 1
        self.phase = 1
        self.expired = False
        self.reports: dict = {}
        self.proposals: dict = {}
        self.decided = None
        self.decided_round = None
        self.halted = False

    def on_start(self, ctx):
        ctx.observe("proposed", self.x)
        self._enter_round(ctx)
        self._advance(ctx)

    def _enter_round(self, ctx):
        if self.round > self.max_rounds or (self.decided_round is not None and self.round > self.decided_round + 1):
            self.halted = True  # bounded; and one round after deciding, everyone else has decided too
            return
        ctx.observe("round", self.round)
        self.phase, self.expired = 1, False
        self.reports.setdefault(self.round, {})[self.id] = self.x   # a process knows its own report
        ctx.broadcast(Report(self.round, self.x))
        ctx.set_timer(("wait", self.round, 1), self.timeout)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Report):
            self.reports.setdefault(msg.round, {})[src] = msg.value
        elif isinstance(msg, Propose):
            self.proposals.setdefault(msg.round, {})[src] = msg.value
        else:
            return
        self._advance(ctx)

    def on_timer(self, ctx, name):
        if name == ("wait", self.round, self.phase) and not self.halted:
            self.expired = True
            self._advance(ctx)

    def _ready(self, got: dict) -> bool:
        return len(got) >= self.n - self.f and (self.expired or len(got) == self.n)

    def _advance(self, ctx):
        while not self.halted:
            if self.phase == 1:
                got = self.reports.get(self.round, {})
                if not self._ready(got):
                    return
                ones = sum(got.values())
                w = 1 if 2 * ones > self.n else 0 if 2 * (len(got) - ones) > self.n else None
                self.phase, self.expired = 2, False
                self.proposals.setdefault(self.round, {})[self.id] = w
                ctx.broadcast(Propose(self.round, w))
                ctx.set_timer(("wait", self.round, 2), self.timeout)
            else:
                got = self.proposals.get(self.round, {})
                if not self._ready(got):
                    return
                seen = [v for v in got.values() if v is not None]
                for v in (0, 1):
                    if seen.count(v) >= self.f + 1 and self.decided is None:
                        self.decided, self.decided_round = v, self.round
                        ctx.observe("decided", v)
                if seen:
                    self.x = seen[0]  # only one value can be proposed in a round
                elif self.randomized:
                    self.x = ctx.rng.randint(0, 1)
                self.round += 1
                self._enter_round(ctx)


class HastyConsensus(RoundConsensus):
    """BROKEN on purpose: decides the majority of the first ``n - f`` reports it sees, at once.

    It skips the proposal phase's safeguard: two processes can see different majorities in
    their partial views (with ``n = 5, f = 2``: ``0, 0, 1`` and ``1, 1, 0``) and decide
    differently. The agreement checker catches it; lesson material for why Ben-Or waits
    for a majority of *all* ``n`` before proposing, and for ``f + 1`` proposals before deciding.
    """

    def _advance(self, ctx):
        if not self.halted and self.phase == 1 and self.decided is None:
            got = self.reports.get(self.round, {})
            if self._ready(got):
                ones = sum(got.values())
                for v, count in ((1, ones), (0, len(got) - ones)):
                    if 2 * count > len(got):
                        self.decided, self.decided_round = v, self.round
                        ctx.observe("decided", v)
        super()._advance(ctx)


# -- a driver whose scheduler is the adversary ------------------------------------------

@dataclass
class ScheduledRun:
    """The outcome of :func:`run_scheduled`.

    Attributes: ``trace`` (time = scheduler step), ``decided`` (some process decided),
    ``decisions`` (node -> value), ``first_decision_round`` (None if none),
    ``rounds_undecided`` (rounds completed before the first decision, or all of them),
    ``rounds`` (the highest round any correct process reached), ``steps``, ``verdict``
    (agreement and validity on the trace), ``pending`` (messages never delivered).
    """
    trace: Trace
    decided: bool
    decisions: dict
    first_decision_round: int | None
    rounds_undecided: int
    rounds: int
    steps: int
    verdict: object
    pending: int


def _adversary_rank(ev, nodes, n, f, order):
    """Lower is better for the adversary (keeping every view balanced); ties go to the oldest."""
    if ev[0] == "timer":
        _, node, name = ev
        p = nodes[node]
        if p.halted or name != ("wait", p.round, p.phase):
            return (0, order)  # a stale timer: harmless
        got = p.reports.get(p.round, {}) if p.phase == 1 else p.proposals.get(p.round, {})
        return (1, order) if len(got) >= n - f else (5, order)
    _, _mid, src, dst, msg = ev
    p = nodes[dst]
    phase = 1 if isinstance(msg, Report) else 2
    if p.halted or (msg.round, phase) < (p.round, p.phase):
        return (0, order)  # too late to matter
    if (msg.round, phase) > (p.round, p.phase):
        return (4, order)  # early: it would count later; hold it while there is anything else
    if phase == 1:
        got = dict(p.reports.get(p.round, {}))
        got[src] = msg.value
        ones = sum(got.values())
        balanced = 2 * ones <= n and 2 * (len(got) - ones) <= n
        return (2, order) if balanced else (6, order)
    got = dict(p.proposals.get(p.round, {}))
    got[src] = msg.value
    seen = [v for v in got.values() if v is not None]
    decides = any(seen.count(v) >= f + 1 for v in (0, 1))
    return (3 if msg.value is None else 4, order) if not decides else (6, order)


def run_scheduled(n: int = 3, values=(0, 1, 0), *, f: int = 1, scheduler: str = "adversary",
                  randomized: bool = False, max_rounds: int = 20, gst: int | None = None, crash=None,
                  seed=None, max_steps: int = 200_000, protocol=RoundConsensus) -> ScheduledRun:
    """Run :class:`RoundConsensus` with a scheduler choosing every delivery and timeout.

    Parameters
    ----------
    n : int
        Processes (``n > 2 f``); ``values`` gives their inputs (0 or 1), one each.
    scheduler : "fifo", "random", "synchronous" or "adversary"
        ``fifo``: oldest event first; ``random``: a seeded random pending event;
        ``synchronous``: every pending message before any timer; ``adversary``: see the module.
    randomized : bool
        Ben-Or's coin instead of keeping the value.
    max_rounds : int
        The protocol stops after this many rounds (the bound on "keeps it undecided").
    gst : int or None
        From the round ``gst`` on (once every correct process has reached it) the scheduler
        turns ``synchronous``: the global stabilization time, counted in rounds.
    crash : node id or None
        A process that crashes before it starts (FLP allows one).
    seed : None, int or Generator
        Seeds the coins (``node:i`` streams, as in the simulator) and the random scheduler.
    protocol : RoundConsensus or a subclass
        The node class (``HastyConsensus`` is the broken variant).
    """
    positive_int("n", n, low=1, high=50)
    values = tuple(values)
    if len(values) != n or any(v not in (0, 1) or isinstance(v, bool) for v in values):
        raise ValueError(f"values must hold n={n} inputs, each 0 or 1, got {values!r}")
    if scheduler not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {SCHEDULERS}, got {scheduler!r}")
    positive_int("max_rounds", max_rounds, high=10_000)
    positive_int("max_steps", max_steps)
    if gst is not None:
        positive_int("gst", gst)
    if crash is not None and crash not in range(n):
        raise ValueError(f"crash must be None or a node id from 0 to {n - 1}, got {crash!r}")
    if not (isinstance(protocol, type) and issubclass(protocol, RoundConsensus)):
        raise TypeError(f"protocol must be RoundConsensus or a subclass, got {protocol!r}")
    seed = normalize_seed(seed)
    ids = list(range(n))
    nodes = {i: protocol(i, [j for j in ids if j != i], value=values[i], f=f, randomized=randomized,
                               max_rounds=max_rounds) for i in ids}
    ctxs = {i: Context(i, nodes[i].peers, rng=stream(seed, f"node:{i}"), known=ids) for i in ids}
    pick = random.Random(stream(seed, "scheduler").random())
    rows: list = []
    pending: list = []   # ("deliver", mid, src, dst, msg) or ("timer", node, name), oldest first
    mid = 0
    up = [i for i in ids if i != crash]

    def apply(node, t):
        nonlocal mid
        for kind, a, b in ctxs[node].take_effects():
            if kind == SEND:
                rows.append((t, "send", node, a, mid, b, None))
                if a == crash:
                    rows.append((t, "drop", a, node, mid, b, "crashed"))
                else:
                    pending.append(("deliver", mid, node, a, b))
                mid += 1
            elif kind == SET_TIMER:
                pending[:] = [e for e in pending if not (e[0] == "timer" and e[1] == node and e[2] == a)]
                pending.append(("timer", node, a))
                rows.append((t, "timer_set", node, None, None, a, None))
            elif kind == CANCEL_TIMER:
                pending[:] = [e for e in pending if not (e[0] == "timer" and e[1] == node and e[2] == a)]
            elif kind == OBSERVE:
                rows.append((t, "observe", node, None, None, a, b))

    if crash is not None:
        rows.append((0.0, "crash", crash, None, None, None, None))
    for i in up:
        rows.append((0.0, "start", i, None, None, None, None))
        ctxs[i].now = 0.0
        nodes[i].on_start(ctxs[i])
        apply(i, 0.0)
    step = 0
    while pending and step < max_steps:
        step += 1
        t = float(step)
        mode = scheduler
        if gst is not None and min(nodes[i].round for i in up) >= gst:
            mode = "synchronous"
        if mode == "fifo":
            k = 0
        elif mode == "random":
            k = pick.randrange(len(pending))
        elif mode == "synchronous":
            k = next((j for j, e in enumerate(pending) if e[0] == "deliver"), 0)
        else:
            k = min(range(len(pending)), key=lambda j: _adversary_rank(pending[j], nodes, n, f, j))
        ev = pending.pop(k)
        if ev[0] == "timer":
            _, node, name = ev
            rows.append((t, "timer_fire", node, None, None, name, None))
            ctxs[node].now = t
            nodes[node].on_timer(ctxs[node], name)
            apply(node, t)
        else:
            _, m, src, dst, msg = ev
            rows.append((t, "deliver", dst, src, m, msg, None))
            ctxs[dst].now = t
            nodes[dst].on_message(ctxs[dst], src, msg)
            apply(dst, t)
    trace = Trace(ids, rows, seed=seed, end_time=float(step),
                  ended_by="quiescent" if not pending else "max_events",
                  meta={"name": f"RoundConsensus, {scheduler} scheduler", "scheduler": scheduler})
    decisions = {i: nodes[i].decided for i in up if nodes[i].decided is not None}
    first = min((nodes[i].decided_round for i in decisions), default=None)
    reached = max(min(nodes[i].round, max_rounds) for i in up)
    verdict = all_hold([agreement(trace), validity(trace, proposed=[values[i] for i in up])])
    return ScheduledRun(trace, bool(decisions), decisions, first,
                        (first - 1) if first is not None else reached, reached, step, verdict,
                        sum(1 for e in pending if e[0] == "deliver"))


def rounds_table(seeds=range(10), *, n: int = 3, values=(0, 1, 0), max_rounds: int = 20, crash=None,
                 settings=None) -> pd.DataFrame:
    """Rounds without a decision across seeds, for several (scheduler, randomized, gst) settings.

    ``settings`` is a list of dicts of :func:`run_scheduled` keyword arguments, each with a
    ``"label"``; the default compares the adversary against the deterministic protocol, the
    coin, and GST after round 5. One row per (setting, seed): ``setting, seed, decided,
    rounds_undecided, first_decision_round, safe`` (agreement and validity held).
    """
    if settings is None:
        settings = [{"label": "deterministic, adversary", "scheduler": "adversary"},
                    {"label": "randomized (Ben-Or), adversary", "scheduler": "adversary", "randomized": True},
                    {"label": "deterministic, adversary until GST = round 5", "scheduler": "adversary", "gst": 5}]
    rows = []
    for s in settings:
        kw = {k: v for k, v in s.items() if k != "label"}
        for seed in seeds:
            r = run_scheduled(n, values, max_rounds=max_rounds, crash=crash, seed=seed, **kw)
            rows.append({"setting": s.get("label", repr(kw)), "seed": seed, "decided": r.decided,
                         "rounds_undecided": r.rounds_undecided, "first_decision_round": r.first_decision_round,
                         "safe": r.verdict.ok})
    return pd.DataFrame(rows)

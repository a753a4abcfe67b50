"""Gossip in the event simulator: the :class:`Gossip` node, its scenario, and what a run achieved.

:class:`Gossip` spreads a rumor by push, pull or push-pull, as anti-entropy or rumor
mongering (see :mod:`dsysedu.protocols.membership.gossip` for the terms);
:func:`gossip_scenario` builds a run over a graph, :func:`run_to_full_spread` runs it round by
round until every node knows, and :func:`spread_stats` reads residue, traffic, time to the
last node and the infection curve from the trace.
"""
from __future__ import annotations

import gc
import math
from dataclasses import dataclass

import networkx as nx  # noqa: F401  (the examples use it)
import numpy as np
import pandas as pd

from dsysedu.sim.kernel import Simulation
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario, sort_key
from dsysedu.sim.validate import number, positive_int, probability

__all__ = ["Push", "PullRequest", "PullReply", "AlreadyInformed", "Gossip", "MODES", "STOPS", "SUSCEPTIBLE",
           "INFECTIVE", "REMOVED", "gossip_scenario", "run_to_full_spread", "SpreadStats", "spread_stats"]

MODES = ("push", "pull", "push-pull")
STOPS = (None, "feedback-counter", "blind-coin")
SUSCEPTIBLE, INFECTIVE, REMOVED = "susceptible", "infective", "removed"


@dataclass(frozen=True)
class Push:
    """The rumor, pushed by an informed node."""
    origin: int


@dataclass(frozen=True)
class PullRequest:
    """An uninformed node asks a peer for news."""


@dataclass(frozen=True)
class PullReply:
    """The rumor, sent back to a node that asked for it."""
    origin: int


@dataclass(frozen=True)
class AlreadyInformed:
    """Feedback to a pusher: "I knew that already" (feedback-counter rumor mongering)."""


_PULL_REQUEST, _ALREADY_INFORMED = PullRequest(), AlreadyInformed()  # field-less: one of each will do
_CHECKED: set = set()  # parameter sets already found valid: 10,000 nodes share one


def check_gossip_params(mode, fanout, round_time, stop, k, desync):
    """Raise ValueError or TypeError, naming the field, unless the parameters of :class:`Gossip` are valid."""
    # keyed with the types, so that True (== 1) is not let through by an earlier fanout=1
    key = tuple((type(a), a) for a in (mode, fanout, round_time, stop, k, desync))
    try:
        if key in _CHECKED:
            return
    except TypeError:  # an unhashable value: check it, and fail below
        key = None
    _check_fields(mode, fanout, round_time, stop, k, desync)
    if key is not None and len(_CHECKED) < 1024:
        _CHECKED.add(key)


def _check_fields(mode, fanout, round_time, stop, k, desync):
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    positive_int("fanout", fanout)
    number("round_time", round_time, low=0.0, low_open=True)
    if stop not in STOPS:
        raise ValueError(f"stop must be one of {STOPS}, got {stop!r}")
    if stop is not None and mode == "pull":
        raise ValueError(f"stop={stop!r} needs pushes to stop; with mode='pull' use stop=None (anti-entropy)")
    positive_int("k", k)
    if not isinstance(desync, bool):
        raise TypeError(f"desync must be True or False, got {desync!r}")


class Gossip(Node):
    """One node of push, pull or push-pull gossip (Demers et al. 1987; Karp et al. 2000).

    Parameters
    ----------
    node_id, peers
        Given by the simulator (the peers are the node's neighbours in the topology).
    origin : node id
        The node that knows the rumor at the start.
    mode : {"push", "pull", "push-pull"}
    fanout : int
        Peers called per round.
    round_time : float
        Seconds between a node's rounds.
    stop : {None, "feedback-counter", "blind-coin"}
        None is anti-entropy (spread forever); the others are rumor mongering.
    k : int
        The counter (feedback-counter) or the coin's 1/k (blind-coin).
    desync : bool
        True: each node's rounds start at a random phase in ``[0, round_time)`` drawn from
        ``ctx.rng`` (real clocks are not aligned). False: every node ticks at multiples of
        ``round_time``, which reproduces the synchronous rounds of
        :func:`~dsysedu.protocols.membership.gossip.rounds.simulate_rounds`.

    Notes
    -----
    Observes ``("state", "susceptible" | "infective" | "removed")`` on every change and
    ``("informed", True)`` when the node first learns the rumor. In pull mode an informed node
    goes quiet (it has nothing to ask) and only answers requests; a removed node still answers.

    Examples
    --------
    >>> from dsysedu import Scenario, run
    >>> tr = run(Scenario(Gossip, nodes=8, params={"mode": "push-pull"}, until=30.0), seed=1)
    >>> spread_stats(tr).residue
    0.0
    """

    durable = ("infection",)

    @classmethod
    def check_scenario(cls, scenario) -> None:
        """The origin must be a node of the scenario (else nobody ever learns the rumour)."""
        for node in scenario.node_ids:
            if scenario.protocol_of(node) is cls and scenario.params_of(node).get("origin", 0) not in scenario.node_ids:
                raise ValueError(f"Gossip origin must be one of the nodes, got "
                                 f"{scenario.params_of(node).get('origin', 0)!r}")

    def __init__(self, node_id, peers=(), origin=0, mode="push", fanout=1, round_time=1.0,
                 stop=None, k=1, desync=True):
        super().__init__(node_id, peers)
        check_gossip_params(mode, fanout, round_time, stop, k, desync)
        self.origin, self.mode, self.fanout, self.round_time = origin, mode, fanout, float(round_time)
        self.stop, self.k, self.desync = stop, k, desync
        self.infection = INFECTIVE if node_id == origin else SUSCEPTIBLE
        self.unneeded = 0     # pushes that reached a peer who already knew
        self._push = Push(origin)  # one immutable message, sent again and again
        self.phase = 0.0
        self.next_tick = 0.0  # time of this node's next round

    # -- handlers ---------------------------------------------------------
    def on_start(self, ctx):
        self.phase = ctx.rng.random() * self.round_time if self.desync else 0.0
        ctx.observe("state", self.infection)
        if self.infection != SUSCEPTIBLE:
            ctx.observe("informed", True)
        if self._calls():
            self._next_round(ctx)

    def on_recover(self, ctx):
        self.on_start(ctx)  # the rumor survived on disk (``durable``); the phase is drawn anew

    def on_timer(self, ctx, name):
        if not self._calls():
            return
        peers = self.peers
        # fanout 1, the common case, inline: a 10,000-node run makes about 100,000 of these calls
        targets = (peers[int(ctx.rng.random() * len(peers))],) if self.fanout == 1 else self._choose(ctx)
        if self.infection == SUSCEPTIBLE:
            for p in targets:
                ctx.send(p, _PULL_REQUEST)
        else:
            for p in targets:
                ctx.send(p, self._push)
                if self.stop == "blind-coin" and ctx.rng.random() < 1.0 / self.k:
                    self._remove(ctx)
                    return
        # the next tick counts from the last one, never from ``now``: float error cannot repeat a tick
        self.next_tick += self.round_time
        ctx.set_timer("round", max(0.0, self.next_tick - ctx.now))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, (Push, PullReply)):
            if self.infection == SUSCEPTIBLE:
                self._learn(ctx)
            elif isinstance(msg, Push) and self.stop == "feedback-counter":
                ctx.send(src, _ALREADY_INFORMED)
        elif isinstance(msg, PullRequest):
            if self.infection != SUSCEPTIBLE:
                ctx.send(src, PullReply(self.origin))
        elif isinstance(msg, AlreadyInformed) and self.infection == INFECTIVE:
            self.unneeded += 1
            if self.unneeded >= self.k:
                self._remove(ctx)

    # -- helpers ----------------------------------------------------------
    def _calls(self) -> bool:
        """Whether this node calls peers in its rounds, given its state and the mode."""
        if not self.peers or self.infection == REMOVED:
            return False
        if self.infection == SUSCEPTIBLE:
            return self.mode != "push"
        return self.mode != "pull"

    def _choose(self, ctx) -> list:
        peers = self.peers
        if self.fanout == 1:  # without random.sample's bookkeeping
            return [peers[int(ctx.rng.random() * len(peers))]]
        if self.fanout >= len(peers):
            return list(peers)
        return sorted(ctx.rng.sample(self.peers, self.fanout), key=sort_key)

    def _next_round(self, ctx):
        """Set the round timer for this node's first tick at or after now: phase + m * round_time."""
        t, T = ctx.now, self.round_time
        m = max(0, math.ceil((t - self.phase) / T))
        self.next_tick = self.phase + m * T
        ctx.set_timer("round", max(0.0, self.next_tick - t))

    def _learn(self, ctx):
        self.infection = INFECTIVE
        ctx.observe("state", INFECTIVE)
        ctx.observe("informed", True)
        if self.mode == "push":
            self._next_round(ctx)           # susceptible push nodes had no timer
        elif self.mode == "pull":
            ctx.cancel_timer("round")       # nothing left to ask for
        # push-pull: the running timer now pushes instead of pulling

    def _remove(self, ctx):
        self.infection = REMOVED
        ctx.observe("state", REMOVED)
        ctx.cancel_timer("round")


def gossip_scenario(graph, *, origin=0, mode="push", fanout=1, round_time=1.0, stop=None, k=1,
                    desync=True, loss=0.0, latency=0.01, faults=(), until=100.0) -> Scenario:
    """A Scenario of :class:`Gossip` over ``graph`` (an int means a complete graph).

    Raises
    ------
    ValueError, TypeError
        Naming the field, for a bad parameter or an ``origin`` that is not a node.

    Examples
    --------
    >>> sc = gossip_scenario(nx.cycle_graph(10), mode="push-pull", until=50.0)
    >>> spread_stats(run_to_full_spread(sc, seed=3)).residue
    0.0
    """
    check_gossip_params(mode, fanout, round_time, stop, k, desync)
    probability("loss", loss)
    sc = Scenario(Gossip, nodes=graph, link=LinkModel(latency=latency, loss=loss), faults=tuple(faults),
                  params={"origin": origin, "mode": mode, "fanout": fanout, "round_time": round_time,
                          "stop": stop, "k": k, "desync": desync},
                  until=until, max_events=50_000_000, name=f"gossip {mode}")
    if origin not in sc.node_ids:
        raise ValueError(f"origin must be one of the nodes, got {origin!r}")
    return sc


def run_to_full_spread(scenario: Scenario, seed=None):
    """Run a gossip scenario round by round until every node is informed (or ``until``).

    Anti-entropy never goes quiet, so a plain run lasts to ``until``; this stops at most
    ``round_time / 8`` after the last node learns (it looks every ``round_time`` while more than
    1 % of the nodes wait, then every eighth of a round: a whole extra round of 10,000 nodes would be
    a tenth of the run). Returns the Trace; if a bound of the scenario (``max_events``,
    ``max_rows``) cut the run off, its ``truncated`` is True and :func:`spread_stats` says so.
    """
    # The kernel holds the cyclic GC off inside run_until; between rounds it would come back and
    # rescan the whole trace (hundreds of thousands of rows) again and again: a third of a 10,000-node
    # run. A run makes no cycles worth collecting, so the collector waits until the loop ends.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        sim = Simulation(scenario, seed=seed)
        round_time = float(scenario.params_of(scenario.node_ids[0]).get("round_time", 1.0))
        waiting = list(sim.nodes)
        few = max(1, len(waiting) // 100)
        t = 0.0
        while t < scenario.until:
            t = min(t + (round_time if len(waiting) > few else round_time / 8), scenario.until)
            if sim.run_until(t).truncated:  # cut off by a bound of the scenario: the trace says so
                break
            # sim.nodes[n] is read afresh: a crash and recovery replaces the node object
            nodes = sim.nodes
            waiting = [n for n in waiting if nodes[n].infection == SUSCEPTIBLE]
            if not waiting:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return sim.trace


@dataclass(frozen=True, eq=False)
class SpreadStats:
    """What a gossip run achieved (see :func:`spread_stats`)."""
    n: int
    informed: int
    residue: float          # share of nodes never informed
    traffic: float          # messages sent per node (all kinds)
    updates: float          # messages carrying the rumor (Push, PullReply) sent per node: Demers et al.'s m
    time_to_last: float     # seconds from the start until the last node was informed
    curve: pd.DataFrame     # columns time, informed (count)
    truncated: bool = False  # the run was cut off by a bound (max_events, max_rows): residue is not gossip's


def spread_stats(trace) -> SpreadStats:
    """Residue, traffic, time to the last informed node and the infection curve of a run.

    Examples
    --------
    >>> tr = run_to_full_spread(gossip_scenario(20, mode="push"), seed=0)
    >>> s = spread_stats(tr)
    >>> s.informed, s.residue
    (20, 0.0)
    """
    first: dict = {}
    sends = updates = 0
    for r in trace.rows:
        kind = r[1]
        if kind == "send":
            sends += 1
            if isinstance(r[5], (Push, PullReply)):
                updates += 1
        elif kind == "observe" and r[5] == "informed" and r[2] not in first:
            first[r[2]] = r[0]
    n = len(trace.nodes)
    times = np.sort(np.fromiter(first.values(), float, len(first)))
    curve = pd.DataFrame({"time": times, "informed": np.arange(1, len(times) + 1)})
    return SpreadStats(n=n, informed=len(first), residue=1.0 - len(first) / n, traffic=sends / n,
                       updates=updates / n,
                       time_to_last=float(times[-1]) if len(times) else float("nan"), curve=curve,
                       truncated=bool(getattr(trace, "truncated", False)))

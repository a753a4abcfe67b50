"""Gossip (epidemic) dissemination: push, pull and push-pull; anti-entropy and rumor mongering.

A rumor starts at one node (the ``origin``). Every ``round_time`` seconds each node that
takes part calls ``fanout`` peers chosen at random among its neighbours in the topology:

* **push**: an informed node sends the rumor;
* **pull**: an uninformed node asks, and an informed peer answers with the rumor;
* **push-pull**: both (Karp et al. 2000): whoever knows tells, whoever does not asks.

In the epidemic words of Demers et al. (1987) a node is *susceptible* (has not heard),
*infective* (knows and spreads) or *removed* (knows but has lost interest). Anti-entropy
(``stop=None``) never loses interest; rumor mongering does, in two of the paper's variants:

* ``stop="feedback-counter"``: after ``k`` pushes to peers that already knew (the peer
  answers :class:`AlreadyInformed`), the node stops;
* ``stop="blind-coin"``: after each push the node stops with probability ``1/k``.

Two ways to run it:

* :class:`Gossip`, a :class:`~dsysedu.sim.Node` for the event simulator (continuous time,
  latency, loss, crashes; each node's rounds start at its own random phase);
* :func:`simulate_rounds`, a synchronous round kernel in numpy for large N (10,000 nodes
  in milliseconds), returning the number of informed nodes after each round.

Invariants: a node's state only moves susceptible -> infective -> removed; a node is informed
only by a message carrying the rumor; on a connected graph without loss or crashes, anti-entropy
informs everyone with probability 1.

References
----------
.. [1] A. Demers, D. Greene, C. Hauser, W. Irish, J. Larson, S. Shenker, H. Sturgis,
   D. Swinehart, D. Terry, "Epidemic algorithms for replicated database maintenance",
   PODC 1987.
.. [2] B. Pittel, "On spreading a rumor", SIAM J. Appl. Math. 47(1), 1987.
.. [3] R. Karp, C. Schindelhauer, S. Shenker, B. Vöcking, "Randomized rumor spreading",
   FOCS 2000.
"""
from __future__ import annotations

import gc
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from dsysedu.sim.validate import number, positive_int, probability
from dsysedu.sim.kernel import Simulation
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario, sort_key
from dsysedu.sim.streams import normalize_seed

__all__ = ["Push", "PullRequest", "PullReply", "AlreadyInformed", "Gossip", "MODES", "STOPS",
           "SUSCEPTIBLE", "INFECTIVE", "REMOVED", "gossip_scenario", "run_to_full_spread",
           "SpreadStats", "spread_stats", "simulate_rounds", "rounds_to_full_spread",
           "pittel_rounds", "mean_field_curve", "theory_curve"]

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


def _check_params(mode, fanout, round_time, stop, k, desync):
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
        ``round_time``, which reproduces the synchronous rounds of :func:`simulate_rounds`.

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

    def __init__(self, node_id, peers=(), origin=0, mode="push", fanout=1, round_time=1.0,
                 stop=None, k=1, desync=True):
        super().__init__(node_id, peers)
        _check_params(mode, fanout, round_time, stop, k, desync)
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
    _check_params(mode, fanout, round_time, stop, k, desync)
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
    a tenth of the run). Returns the Trace.
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
            sim.run_until(t)
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
    time_to_last: float     # seconds from the start until the last node was informed
    curve: pd.DataFrame     # columns time, informed (count)


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
    sends = 0
    for r in trace.rows:
        kind = r[1]
        if kind == "send":
            sends += 1
        elif kind == "observe" and r[5] == "informed" and r[2] not in first:
            first[r[2]] = r[0]
    n = len(trace.nodes)
    times = np.sort(np.fromiter(first.values(), float, len(first)))
    curve = pd.DataFrame({"time": times, "informed": np.arange(1, len(times) + 1)})
    return SpreadStats(n=n, informed=len(first), residue=1.0 - len(first) / n, traffic=sends / n,
                       time_to_last=float(times[-1]) if len(times) else float("nan"), curve=curve)


# -- the round kernel ---------------------------------------------------------

def _adjacency(graph):
    nodes = sorted(graph.nodes, key=sort_key)
    index = {v: i for i, v in enumerate(nodes)}
    deg = np.array([graph.degree(v) for v in nodes], dtype=np.int64)
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(deg, out=indptr[1:])
    indices = np.fromiter((index[u] for v in nodes for u in sorted(graph.neighbors(v), key=sort_key)),
                          np.int64, int(indptr[-1]))
    return nodes, index, indptr, indices, deg


def simulate_rounds(graph_or_n, mode="push", fanout=1, rounds_max=200, seed=None, loss=0.0,
                    crashed=(), origin=0) -> np.ndarray:
    """Synchronous-round gossip in numpy: the informed count after each round.

    In round r every live caller picks ``fanout`` neighbours uniformly at random (independently,
    so a caller may pick a peer twice: for fanout much smaller than the degree this is the same
    as :class:`Gossip`'s distinct picks). Push: informed callers inform their picks. Pull:
    uninformed callers are informed if a pick was informed at the start of the round. Push-pull:
    both. Each call is lost with probability ``loss`` (a pull's request and reply count as one
    call; the event simulator loses each of them separately); crashed nodes neither call nor answer.

    Parameters
    ----------
    graph_or_n : int or networkx.Graph
        An int N is the complete graph on 0..N-1, sampled without building its edges.
    mode : {"push", "pull", "push-pull"}
    fanout : int
    rounds_max : int
        Stop after this many rounds if some live node is still uninformed.
    seed : None, int or numpy.random.Generator
    loss : float
        Probability that a message is lost.
    crashed : iterable of node ids
        Nodes that are down for the whole run (never informed).
    origin : node id

    Returns
    -------
    numpy.ndarray of int
        ``counts[0] == 1`` and ``counts[r]`` is the number informed after round r; the run stops
        as soon as every live node is informed, so ``len(counts) - 1`` is the rounds it took.

    Notes
    -----
    O(calls) numpy work per round; 10,000 nodes of push gossip take a few milliseconds.

    Examples
    --------
    >>> counts = simulate_rounds(1000, "push", seed=1)
    >>> int(counts[-1]), 12 <= len(counts) - 1 <= 30
    (1000, True)
    """
    _check_params(mode, fanout, 1.0, None, 1, True)
    positive_int("rounds_max", rounds_max)
    probability("loss", loss)
    rng = np.random.default_rng(normalize_seed(seed))
    if isinstance(graph_or_n, nx.Graph):
        nodes, index, indptr, indices, deg = _adjacency(graph_or_n)
        n = len(nodes)
    elif isinstance(graph_or_n, (int, np.integer)) and not isinstance(graph_or_n, bool):
        n = positive_int("graph_or_n", int(graph_or_n))
        index, indptr = None, None
    else:
        raise TypeError(f"graph_or_n must be an int or a networkx.Graph, got {graph_or_n!r}")
    down = np.zeros(n, dtype=bool)
    for c in crashed:
        if (index is None and not (isinstance(c, (int, np.integer)) and 0 <= c < n)) or \
                (index is not None and c not in index):
            raise ValueError(f"crashed names unknown node {c!r}")
        down[c if index is None else index[c]] = True
    if (index is None and not (isinstance(origin, (int, np.integer)) and 0 <= origin < n)) or \
            (index is not None and origin not in index):
        raise ValueError(f"origin must be one of the nodes, got {origin!r}")
    o = origin if index is None else index[origin]
    if down[o]:
        raise ValueError(f"origin {origin!r} is crashed: nothing can spread")
    informed = np.zeros(n, dtype=bool)
    informed[o] = True
    live = int(n - down.sum())
    counts = [1]

    def picks(callers):
        """fanout random neighbours of each caller: (callers repeated, targets)."""
        c = np.repeat(callers, fanout)
        if index is None:
            t = rng.integers(0, n - 1, size=c.size)
            t += t >= c                      # skip the caller itself
        else:
            d = deg[c]
            c = c[d > 0]
            d = d[d > 0]
            t = indices[indptr[c] + (rng.random(c.size) * d).astype(np.int64)]
        if loss:
            keep = rng.random(c.size) >= loss
            c, t = c[keep], t[keep]
        return c, t

    while counts[-1] < live and len(counts) <= rounds_max:
        new = np.zeros(n, dtype=bool)
        if mode != "pull":                               # push
            _, t = picks(np.flatnonzero(informed))
            new[t] = True
        if mode != "push":                               # pull
            c, t = picks(np.flatnonzero(~informed & ~down))
            new[c[informed[t]]] = True
        informed |= new & ~down
        counts.append(int(informed.sum()))
    return np.asarray(counts, dtype=np.int64)


def rounds_to_full_spread(counts, n=None) -> float:
    """Rounds a :func:`simulate_rounds` run took to inform ``n`` nodes (inf if it never did)."""
    n = counts[-1] if n is None else n
    hit = np.flatnonzero(np.asarray(counts) >= n)
    return float(hit[0]) if hit.size else math.inf


# -- theory -------------------------------------------------------------------

def pittel_rounds(n) -> float:
    """Rounds for push gossip (fanout 1) to inform all of a complete graph: log2 n + ln n (Pittel 1987).

    Pittel proved the rounds are ``log2 n + ln n + O(1)`` with high probability.

    Examples
    --------
    >>> round(pittel_rounds(1000), 2)
    16.87
    """
    positive_int("n", n if isinstance(n, bool) else int(n))
    return math.log2(n) + math.log(n)


def mean_field_curve(n, mode="push", fanout=1, rounds=60) -> pd.DataFrame:
    """Expected informed count per round on a complete graph, in the mean-field approximation.

    With s the susceptible share and i = 1 - s: push gives ``s' = s * exp(-fanout * i)`` (each of
    the i*n pushes misses a given node with probability 1 - 1/n), pull ``s' = s * s**fanout``,
    push-pull the product of both. Stops once fewer than half a node is left.
    """
    _check_params(mode, fanout, 1.0, None, 1, True)
    positive_int("n", n)
    s = 1.0 - 1.0 / n
    rows = [(0, n * (1 - s))]
    for r in range(1, rounds + 1):
        i = 1.0 - s
        factor = 1.0
        if mode != "pull":
            factor *= math.exp(-fanout * i)
        if mode != "push":
            factor *= s ** fanout
        s *= factor
        rows.append((r, n * (1 - s)))
        if s * n < 0.5:
            break
    return pd.DataFrame(rows, columns=["round", "informed"])


def theory_curve(ns=(10, 30, 100, 300, 1000, 3000, 10_000)) -> pd.DataFrame:
    """Rounds to full spread on a complete graph against N, for the plot beside the simulations.

    Columns: ``n``, ``push`` (Pittel: log2 n + ln n), ``push_pull`` (Karp et al.: log3 n, the
    leading term of log3 n + O(log log n)).
    """
    ns = [positive_int("n", int(v)) for v in ns]
    return pd.DataFrame({"n": ns, "push": [pittel_rounds(v) for v in ns],
                         "push_pull": [math.log(v, 3) for v in ns]})

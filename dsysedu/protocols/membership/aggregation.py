"""Gossip that computes: push-sum averaging (Kempe, Dobra and Gehrke 2003).

Each node ``i`` starts with a number ``x_i`` and holds a pair ``(sum, weight) = (x_i, 1)``. Every
round it keeps half of its pair and sends the other half to one neighbour chosen at random;
what arrives is added. Its *estimate* of the average is ``sum / weight``. Nothing is ever
created or destroyed, only moved, so

    **mass conservation**: the sums of all nodes plus those in flight add up to ``sum(x)``,
    and the weights to N, at every moment (when no message is lost);

and because halves keep mixing, every ratio ``sum_i / weight_i`` tends to
``sum(x) / N``, the true average. On a complete graph the error falls exponentially: Kempe et
al. prove a relative error of at most ``eps`` after ``O(log N + log 1/eps)`` rounds (with high
probability). A lost message takes its mass with it, and the estimates then settle on a
wrong value: loss turns into bias.

Two ways to run it, as for :mod:`dsysedu.protocols.membership.gossip`:

* :class:`PushSum`, a :class:`~dsysedu.sim.Node` for the event simulator, with
  :func:`push_sum_scenario`, :func:`mass_history` and the checker :func:`conservation`;
* :func:`push_sum_rounds`, synchronous rounds in numpy for large N and many seeds.

:class:`LeakyPushSum` is a deliberately broken variant (it sends half its weight but keeps
all of it); :func:`conservation` catches it.

References
----------
.. [1] D. Kempe, A. Dobra, J. Gehrke, "Gossip-based computation of aggregate information",
   FOCS 2003.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from dsysedu.check import Verdict
from dsysedu.sim.validate import number, positive_int, probability
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario, sort_key
from dsysedu.sim.streams import normalize_seed

__all__ = ["Share", "PushSum", "LeakyPushSum", "push_sum_scenario", "mass_history", "conservation",
           "estimates_at", "PushSumRun", "push_sum_rounds", "rounds_to_error"]


@dataclass(frozen=True)
class Share:
    """Half of a node's (sum, weight), on its way to a neighbour."""
    sum: float
    weight: float


def _finite(field, value) -> float:
    return number(field, value)


class PushSum(Node):
    """One node of push-sum (Kempe, Dobra, Gehrke 2003, Algorithm 1).

    Parameters
    ----------
    node_id, peers
        Given by the simulator.
    value : float
        This node's number ``x_i``; the node starts with ``(sum, weight) = (value, 1)``.
    round_time : float
        Seconds between the node's rounds.
    rounds : int
        Rounds the node takes part in, then it only receives (so a run ends).
    desync : bool
        True: each node's rounds start at its own random phase (``ctx.rng``).

    Notes
    -----
    Observes ``("mass", (sum, weight))`` after every change and ``("estimate", sum / weight)`` after
    each of its rounds. State: ``sum``, ``weight``, ``done`` (rounds taken).

    Examples
    --------
    >>> from dsysedu import run
    >>> tr = run(push_sum_scenario(nx.complete_graph(8), values=range(8), rounds=30), seed=1)
    >>> est = estimates_at(tr, tr.end_time)
    >>> max(abs(e - 3.5) for e in est.values()) < 1e-6
    True
    """

    def __init__(self, node_id, peers=(), value=0.0, round_time=1.0, rounds=30, desync=True):
        super().__init__(node_id, peers)
        self.sum, self.weight = _finite("value", value), 1.0
        self.round_time = number("round_time", round_time, low=0.0, low_open=True)
        self.rounds = positive_int("rounds", rounds)
        if not isinstance(desync, bool):
            raise TypeError(f"desync must be True or False, got {desync!r}")
        self.desync = desync
        self.done = 0
        self.targets = tuple(p for p in self.peers if p != node_id)  # a self-loop is no one to talk to

    def on_start(self, ctx):
        ctx.observe("mass", (self.sum, self.weight))
        if self.targets:
            phase = ctx.rng.random() * self.round_time if self.desync else 0.0
            ctx.set_timer("round", phase)

    def on_timer(self, ctx, name):
        peer = self.targets[int(ctx.rng.random() * len(self.targets))]
        half = Share(self.sum / 2, self.weight / 2)
        self._keep(half)
        ctx.send(peer, half)
        ctx.observe("mass", (self.sum, self.weight))
        ctx.observe("estimate", self.sum / self.weight)
        self.done += 1
        if self.done < self.rounds:
            ctx.set_timer("round", self.round_time)

    def _keep(self, half):
        self.sum, self.weight = half.sum, half.weight

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Share):
            self.sum += msg.sum
            self.weight += msg.weight
            ctx.observe("mass", (self.sum, self.weight))


class LeakyPushSum(PushSum):
    """BROKEN on purpose: sends half its weight but keeps all of it, so weight is created from nothing.

    Every estimate then drifts towards zero; :func:`conservation` reports the weight growing.
    """

    def _keep(self, half):
        self.sum = half.sum  # the weight is not halved: the bug


def _values(nodes, values) -> dict:
    if isinstance(values, dict):
        missing = [v for v in nodes if v not in values]
        if missing:
            raise ValueError(f"values has no number for node(s) {missing[:5]}")
        return {v: _finite(f"values[{v!r}]", values[v]) for v in nodes}
    seq = list(values)
    if len(seq) != len(nodes):
        raise ValueError(f"values must give one number per node ({len(nodes)}), got {len(seq)}")
    return {v: _finite(f"values[{i}]", x) for i, (v, x) in enumerate(zip(nodes, seq))}


def push_sum_scenario(graph, values, *, rounds=30, round_time=1.0, loss=0.0, latency=0.01, desync=True,
                      protocol=PushSum, faults=()) -> Scenario:
    """A Scenario of push-sum over ``graph`` (an int means a complete graph).

    ``values`` is a dict node -> number, or a sequence in sorted node order. The run lasts until the
    nodes have taken ``rounds`` rounds and the last shares have arrived.

    Raises
    ------
    ValueError, TypeError
        For a graph without nodes, values that do not match the nodes or are not finite
        numbers, or a bad rounds, round_time or loss.
    """
    if isinstance(graph, nx.Graph) and graph.number_of_nodes() == 0:
        raise ValueError("graph has no nodes: there is nothing to average")
    positive_int("rounds", rounds)
    number("round_time", round_time, low=0.0, low_open=True)
    probability("loss", loss)
    nodes = sorted(graph.nodes, key=sort_key) if isinstance(graph, nx.Graph) else list(range(positive_int("graph", graph)))
    vals = _values(nodes, values)
    return Scenario(protocol, nodes=graph, link=LinkModel(latency=latency, loss=loss), faults=tuple(faults),
                    params={"rounds": rounds, "round_time": round_time, "desync": desync},
                    node_params={v: {"value": x} for v, x in vals.items()},
                    until=(rounds + 2) * round_time, max_events=20_000_000, name="push-sum")


def mass_history(trace) -> pd.DataFrame:
    """Total mass at the end of every instant of a push-sum run.

    Columns: ``time``; ``sum`` and ``weight`` held by the nodes plus in flight; ``lost_sum`` and
    ``lost_weight`` carried off by dropped messages so far. Rows are taken only between instants,
    when every handler has finished (inside one handler the half is briefly in two places).
    """
    held: dict = {}
    flight: dict = {}
    lost_s = lost_w = 0.0
    out = []
    rows = trace.rows
    for i, r in enumerate(rows):
        t, kind = r[0], r[1]
        if kind == "observe" and r[5] == "mass":
            held[r[2]] = r[6]
        elif kind == "send" and isinstance(r[5], Share):
            flight[r[4]] = r[5]
        elif kind in ("deliver", "drop") and r[4] in flight:
            share = flight.pop(r[4])
            if kind == "drop":
                lost_s += share.sum
                lost_w += share.weight
        if i + 1 == len(rows) or rows[i + 1][0] != t:
            s = math.fsum(v[0] for v in held.values()) + math.fsum(m.sum for m in flight.values())
            w = math.fsum(v[1] for v in held.values()) + math.fsum(m.weight for m in flight.values())
            out.append((t, s, w, lost_s, lost_w, i))
    return pd.DataFrame(out, columns=["time", "sum", "weight", "lost_sum", "lost_weight", "row"])


def conservation(trace, values, tol=1e-9) -> Verdict:
    """Mass conservation: held + in flight + lost equals ``(sum(values), N)`` after every instant.

    ``tol`` is relative to ``max(1, sum |values|)`` for the sums and to N for the weights: halving
    and adding floats rounds, so exact equality is too strict, but the error stays near 1e-15
    per operation.
    """
    vals = list(values.values()) if isinstance(values, dict) else list(values)
    total, n = math.fsum(vals), len(trace.nodes)
    scale = max(1.0, math.fsum(abs(v) for v in vals))
    h = mass_history(trace)
    bad_s = (h["sum"] + h["lost_sum"] - total).abs() > tol * scale
    bad_w = (h["weight"] + h["lost_weight"] - n).abs() > tol * n
    bad = h[bad_s | bad_w]
    if len(bad):
        r = bad.iloc[0]
        return Verdict(False, "mass conservation",
                       f"at t={r['time']:.3f} the mass is (sum {r['sum'] + r['lost_sum']:.6g}, weight "
                       f"{r['weight'] + r['lost_weight']:.6g}), not ({total:.6g}, {n})", events=(int(r["row"]),))
    return Verdict(True, "mass conservation", f"sum {total:.6g} and weight {n} kept after {len(h)} instants")


def estimates_at(trace, t) -> dict:
    """Each node's estimate ``sum / weight`` from its last mass observation at or before ``t``."""
    last = {}
    for r in trace.rows:
        if r[0] > t:
            break
        if r[1] == "observe" and r[5] == "mass":
            last[r[2]] = r[6]
    return {v: (s / w if w else math.nan) for v, (s, w) in last.items()}


# -- synchronous rounds in numpy ------------------------------------------------------

@dataclass(frozen=True, eq=False)
class PushSumRun:
    """A :func:`push_sum_rounds` run: per round (row r = after r rounds) the estimates and totals."""
    average: float           # the true average of the values
    estimates: np.ndarray    # shape (rounds + 1, N)
    sums: np.ndarray         # shape (rounds + 1,): total sum held after each round
    weights: np.ndarray      # shape (rounds + 1,): total weight held after each round
    spread: float            # max |x_i - average|: the error at round 0

    @property
    def error(self) -> np.ndarray:
        """Relative error per round: ``max_i |estimate_i - average| / spread`` (0 when all x_i agree)."""
        err = np.abs(self.estimates - self.average).max(axis=1)
        return err / self.spread if self.spread > 0 else err


def push_sum_rounds(graph_or_n, values, rounds=40, seed=None, loss=0.0) -> PushSumRun:
    """Push-sum in synchronous rounds: every node halves its pair and sends one half to a random neighbour.

    Parameters
    ----------
    graph_or_n : int or networkx.Graph
        An int N is the complete graph on 0..N-1, sampled without building its edges.
    values : sequence of float or dict
        One number per node (sorted node order for a sequence).
    rounds : int
    seed : None, int or numpy.random.Generator
    loss : float
        Probability that a share is lost (with its mass).

    Returns
    -------
    PushSumRun

    Notes
    -----
    O(N) numpy work per round. A node with no neighbour keeps its whole pair.

    Examples
    --------
    >>> run = push_sum_rounds(1000, np.arange(1000.0), rounds=40, seed=1)
    >>> bool(run.error[-1] < 1e-3), round(float(run.sums[-1]), 6)
    (True, 499500.0)
    """
    positive_int("rounds", rounds)
    probability("loss", loss)
    rng = np.random.default_rng(normalize_seed(seed))
    if isinstance(graph_or_n, nx.Graph):
        if graph_or_n.number_of_nodes() == 0:
            raise ValueError("graph has no nodes: there is nothing to average")
        nodes = sorted(graph_or_n.nodes, key=sort_key)
        index = {v: i for i, v in enumerate(nodes)}
        near = [[index[u] for u in sorted(graph_or_n.neighbors(v), key=sort_key) if u != v] for v in nodes]
        deg = np.array([len(a) for a in near], dtype=np.int64)   # a self-loop is no one to talk to
        indptr = np.concatenate([[0], np.cumsum(deg)])
        indices = np.fromiter((u for a in near for u in a), np.int64, int(indptr[-1]))
    elif isinstance(graph_or_n, (int, np.integer)) and not isinstance(graph_or_n, bool):
        nodes = list(range(positive_int("graph_or_n", int(graph_or_n))))
        indptr = None
    else:
        raise TypeError(f"graph_or_n must be an int or a networkx.Graph, got {graph_or_n!r}")
    n = len(nodes)
    x = np.array(list(_values(nodes, values).values()), dtype=float)
    s, w = x.copy(), np.ones(n)
    ids = np.arange(n)
    if indptr is not None:
        talk = deg > 0
    else:
        talk = np.full(n, n > 1)
    est, sums, weights = [s / w], [math.fsum(s)], [math.fsum(w)]
    for _ in range(rounds):
        callers = ids[talk]
        if indptr is None:
            t = rng.integers(0, n - 1, size=callers.size)
            t += t >= callers                         # never itself
        else:
            t = indices[indptr[callers] + (rng.random(callers.size) * deg[callers]).astype(np.int64)]
        hs, hw = s[callers] / 2, w[callers] / 2
        s[callers] = hs
        w[callers] = hw
        if loss:
            keep = rng.random(callers.size) >= loss
            t, hs, hw = t[keep], hs[keep], hw[keep]
        s += np.bincount(t, weights=hs, minlength=n)
        w += np.bincount(t, weights=hw, minlength=n)
        est.append(s / w)
        sums.append(math.fsum(s))
        weights.append(math.fsum(w))
    avg = math.fsum(x) / n
    return PushSumRun(average=avg, estimates=np.array(est), sums=np.array(sums), weights=np.array(weights),
                      spread=float(np.abs(x - avg).max()))


def rounds_to_error(run: PushSumRun, eps: float) -> float:
    """The first round after which the relative error stays below ``eps`` (inf if it never does)."""
    number("eps", eps, low=0.0, low_open=True)
    above = np.flatnonzero(run.error >= eps)
    if not above.size:
        return 0.0
    r = int(above[-1]) + 1
    return float(r) if r < len(run.error) else math.inf

"""Gossip in synchronous rounds, in numpy, and what theory says of it.

:func:`simulate_rounds` is a round kernel for large N (10,000 nodes in milliseconds): every
round each node calls ``fanout`` random peers at once, and it returns the informed count
after each round. :func:`rounds_to_full_spread` reads such a curve; :func:`pittel_rounds`
([1]_: log2 N + ln N rounds for push), :func:`mean_field_curve` and :func:`theory_curve` are
what the analysis predicts, to set against the runs.

References
----------
.. [1] B. Pittel, "On spreading a rumor", SIAM J. Appl. Math. 47(1), 1987.
.. [2] R. Karp, C. Schindelhauer, S. Shenker, B. Vöcking, "Randomized rumor spreading",
   FOCS 2000.
"""
from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd

from dsysedu.sim.scenario import sort_key
from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import positive_int, probability
from .protocol import check_gossip_params

__all__ = ["simulate_rounds", "rounds_to_full_spread", "tolerance_sweep", "rumor_mongering_rounds", "DEMERS_TABLE",
           "pittel_rounds",
           "mean_field_curve", "theory_curve"]

#: Demers et al. (1987), Table 1: push rumor mongering with feedback and counters on 1,000 sites;
#: residue s (share never informed) and traffic m (updates sent per site), for counter k = 1..5.
DEMERS_TABLE = pd.DataFrame({"k": [1, 2, 3, 4, 5], "residue": [0.18, 0.037, 0.011, 0.0036, 0.0012],
                             "traffic": [1.7, 3.3, 4.5, 5.6, 6.7]})


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
    check_gossip_params(mode, fanout, 1.0, None, 1, True)
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


def rumor_mongering_rounds(n: int, k: int, seed=None, *, stop: str = "feedback-counter", rounds_max: int = 500,
                           loss: float = 0.0, crashed: float = 0.0) -> dict:
    """Push rumor mongering on a complete graph of ``n`` nodes, in synchronous rounds (Demers et al. 1987).

    Every round each infective node pushes the rumor to one random other node. With
    ``stop="feedback-counter"`` a push to a node that already knew at the start of the round
    (it answers "I knew") counts against the pusher, which becomes *removed* after ``k`` such
    pushes; with ``"blind-coin"`` a pusher stops after each push with probability ``1/k``. The run
    ends when no node is infective.

    Parameters
    ----------
    n : int
        Nodes (``>= 2``).
    k : int
        The counter (or the coin's 1/k).
    seed : None, int or numpy.random.Generator
    stop : {"feedback-counter", "blind-coin"}
    rounds_max : int
    loss : float
        Probability that a push is lost (no feedback comes back either).
    crashed : float
        Share of the nodes other than the origin that are down for the whole run (chosen at random;
        a push to them is lost). The residue counts only live nodes.

    Returns
    -------
    dict
        ``residue`` (share of live nodes never informed), ``traffic`` (pushes per node, Demers's
        *m*), ``rounds``.

    Examples
    --------
    >>> r = rumor_mongering_rounds(1000, 2, seed=1)
    >>> 0.0 < r["residue"] < 0.2 and 2.0 < r["traffic"] < 5.0
    True
    """
    n = positive_int("n", n)
    if n < 2:
        raise ValueError(f"rumor mongering needs n >= 2, got {n}")
    k = positive_int("k", k)
    if stop not in ("feedback-counter", "blind-coin"):
        raise ValueError(f"stop must be 'feedback-counter' or 'blind-coin', got {stop!r}")
    positive_int("rounds_max", rounds_max)
    probability("loss", loss)
    probability("crashed", crashed)
    rng = np.random.default_rng(normalize_seed(seed))
    down = np.zeros(n, dtype=bool)
    down[1 + rng.permutation(n - 1)[:int(round(crashed * (n - 1)))]] = True
    informed = np.zeros(n, dtype=bool)
    active = np.zeros(n, dtype=bool)
    informed[0] = active[0] = True
    misses = np.zeros(n, dtype=np.int64)
    pushes = rounds = 0
    while active.any() and rounds < rounds_max:
        rounds += 1
        callers = np.flatnonzero(active)
        targets = rng.integers(0, n - 1, size=callers.size)
        targets += targets >= callers
        pushes += callers.size
        arrived = ~down[targets]
        if loss:
            arrived &= rng.random(callers.size) >= loss
        knew = arrived & informed[targets]          # informed at the start of the round: feedback "I knew"
        newly = np.zeros(n, dtype=bool)
        newly[targets[arrived & ~informed[targets]]] = True
        if stop == "feedback-counter":
            np.add.at(misses, callers[knew], 1)
            active[callers[misses[callers] >= k]] = False
        else:
            active[callers[rng.random(callers.size) < 1.0 / k]] = False
        informed |= newly
        active |= newly                            # the newly informed push from the next round on
    live = int((~down).sum())
    return {"residue": 1.0 - int((informed & ~down).sum()) / live, "traffic": pushes / n, "rounds": rounds}


def rounds_to_full_spread(counts, n=None) -> float:
    """Rounds a :func:`simulate_rounds` run took to inform ``n`` nodes (inf if it never did)."""
    n = counts[-1] if n is None else n
    hit = np.flatnonzero(np.asarray(counts) >= n)
    return float(hit[0]) if hit.size else math.inf


def tolerance_sweep(n: int = 1000, modes=("push", "pull", "push-pull"), crashed=(0.0, 0.1, 0.3, 0.5),
                    losses=(0.0, 0.1, 0.3, 0.5), seeds=range(5)) -> pd.DataFrame:
    """Gossip's fault tolerance: rounds to inform every live node, under crashed nodes and under loss.

    Anti-entropy on a complete graph of ``n`` nodes (:func:`simulate_rounds`, fanout 1), once
    with a share of the nodes crashed for the whole run (chosen at random, never the origin; the
    target is every *live* node) and once with a share of the messages lost.

    Parameters
    ----------
    n : int
    modes : iterable of {"push", "pull", "push-pull"}
    crashed, losses : iterable of float
        Shares in ``[0, 1)``.
    seeds : iterable of int

    Returns
    -------
    pandas.DataFrame
        One row per run: ``mode, fault ("crashed" or "loss"), level, seed, rounds, informed``
        (``informed``: share of the live nodes informed at the end).

    Examples
    --------
    >>> df = tolerance_sweep(200, modes=("push",), crashed=(0.0, 0.5), losses=(0.3,), seeds=[0])
    >>> bool((df.informed == 1.0).all()), sorted(set(df.fault))
    (True, ['crashed', 'loss'])
    """
    n = positive_int("n", n)
    rows = []
    for mode in modes:
        for seed in seeds:
            for share in crashed:
                if not 0.0 <= share < 1.0:
                    raise ValueError(f"a crashed share must be in [0, 1), got {share!r}")
                rng = np.random.default_rng(normalize_seed(seed))
                down = (1 + rng.permutation(n - 1)[:int(round(share * (n - 1)))]).tolist()
                counts = simulate_rounds(n, mode, seed=seed, crashed=down)
                rows.append((mode, "crashed", share, seed, len(counts) - 1, counts[-1] / (n - len(down))))
            for loss in losses:
                if not 0.0 <= loss < 1.0:
                    raise ValueError(f"a loss must be in [0, 1), got {loss!r}")
                counts = simulate_rounds(n, mode, seed=seed, loss=loss)
                rows.append((mode, "loss", loss, seed, len(counts) - 1, counts[-1] / n))
    return pd.DataFrame(rows, columns=["mode", "fault", "level", "seed", "rounds", "informed"])


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
    check_gossip_params(mode, fanout, 1.0, None, 1, True)
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

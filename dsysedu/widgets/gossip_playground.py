"""The gossip playground: watch a rumor spread over a network, with its infection curve.

:data:`GOSSIP` declares it: :class:`~dsysedu.protocols.membership.gossip.Gossip` (anti-entropy)
over a seeded networkx topology chosen by the controls (topology, N, fanout, mode, loss, crashed
share, and the ``stop`` rule that switches to rumor mongering, whose removed nodes get a colour and
a curve of their own). Changing a control re-runs the bounded scenario (``rounds`` rounds at most,
and it stops a round after every live node knows); Play and the time slider only redraw. The
picture is a :class:`~dsysedu.viz.panels.SpreadPanel`: nodes coloured by their gossip ``state``
(crashed nodes grey with a cross) and the infection curve with a "now" marker; the table compares
the run with Pittel's log2 N + ln N rounds.
"""
from __future__ import annotations

import gc
import random
from functools import lru_cache

import networkx as nx

from dsysedu.protocols.membership.gossip import (INFECTIVE, MODES, SUSCEPTIBLE, gossip_scenario, pittel_rounds,
                                                 spread_stats)
from dsysedu.sim import Crash, Simulation
from .playground import Playground
from .spec import Choice, PlaygroundSpec, Slider

__all__ = ["GOSSIP", "GossipPlayground", "TOPOLOGIES", "STOPS", "COMPLETE_MAX", "make_graph", "crashed_nodes",
           "gossip_run", "run_gossip", "half_informed"]


def _regular(n, seed):
    d = 4 if n > 4 else n - 1
    return nx.random_regular_graph(d if (d * n) % 2 == 0 else d - 1, n, seed=seed)


def _small_world(n, seed):
    return nx.connected_watts_strogatz_graph(n, min(6, n - 1 - (n - 1) % 2) or 2, 0.1, seed=seed)


# The stop control: anti-entropy spreads for ever; rumor mongering (Demers et al. 1987) stops,
# leaving removed nodes (and perhaps a residue that never hears).
STOPS = {"anti-entropy": (None, 1), "feedback counter, k = 2": ("feedback-counter", 2),
         "blind coin, k = 2": ("blind-coin", 2)}

COMPLETE_MAX = 500  # a complete graph has n(n-1)/2 links: 2,000 nodes would take a minute per run

TOPOLOGIES = {
    "complete": lambda n, seed: nx.complete_graph(n),
    "random regular": _regular,
    "small world": _small_world,
    "scale free": lambda n, seed: nx.barabasi_albert_graph(n, 2, seed=seed),
    "ring": lambda n, seed: nx.cycle_graph(n),
}


def make_graph(topology: str, n: int, seed: int = 0) -> nx.Graph:
    """The seeded networkx graph of ``topology`` (a key of :data:`TOPOLOGIES`) on ``n`` nodes."""
    if topology not in TOPOLOGIES:
        raise ValueError(f"topology must be one of {sorted(TOPOLOGIES)}, got {topology!r}")
    return TOPOLOGIES[topology](int(n), seed)


_graph = lru_cache(maxsize=4)(make_graph)  # a control change that keeps topology and N keeps the graph


def crashed_nodes(nodes, share: float, seed: int) -> list:
    """The crashed ``share`` of the nodes other than the origin 0, chosen with a seeded rng."""
    others = [v for v in nodes if v != 0]
    return sorted(random.Random(seed).sample(others, round(share * len(others))))


def gossip_run(topology="random regular", n=50, mode="push", fanout=1, loss=0.0, crashed=0.0, stop="anti-entropy",
               rounds=40, seed=7):
    """The Scenario of the controls: a complete graph is capped at :data:`COMPLETE_MAX` nodes, and pull
    has nothing to stop (a puller never pushes), so it runs anti-entropy."""
    if stop not in STOPS:
        raise ValueError(f"stop must be one of {list(STOPS)}, got {stop!r}")
    g = _graph(topology, min(n, COMPLETE_MAX) if topology == "complete" else n, seed)
    how, k = (None, 1) if mode == "pull" else STOPS[stop]
    return gossip_scenario(g, origin=0, mode=mode, fanout=fanout, loss=loss, stop=how, k=k,
                           faults=[Crash(v, at=0.0) for v in crashed_nodes(g.nodes, crashed, seed)],
                           until=float(rounds))


def run_gossip(sc, seed):
    """Run round by round, stopping a round after every live node knows or nobody spreads any more
    (push only), or at ``until``."""
    push = sc.params.get("mode") == "push"
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as in run_to_full_spread: no rescans of the growing trace between rounds
    try:
        sim = Simulation(sc, seed=seed)
        waiting = list(sim.nodes)
        t, done = 0.0, None
        while t < sc.until:
            t = min(t + 1.0, sc.until)
            sim.run_until(t)
            if done is not None and t >= done + 1.0:
                break
            waiting = [v for v in waiting if sim.status(v) != "crashed" and sim.nodes[v].infection == SUSCEPTIBLE]
            quiet = push and not any(sim.status(v) != "crashed" and sim.nodes[v].infection == INFECTIVE
                                     for v in sim.nodes)
            if (not waiting or quiet) and done is None:
                done = t
    finally:
        if gc_was_enabled:
            gc.enable()
    return sim.trace


def _notes(values, trace, stats) -> list:
    notes = []
    if values["topology"] == "complete" and values["n"] > COMPLETE_MAX:
        notes.append(f"a complete graph is capped at {COMPLETE_MAX} nodes (its n(n-1)/2 links make larger "
                     f"runs slow): showing N = {len(trace.nodes)}")
    if values["mode"] == "pull" and values["stop"] != "anti-entropy":
        notes.append("pull never pushes, so there is nothing to stop: running anti-entropy")
    return notes


GOSSIP = PlaygroundSpec(
    gossip_run,
    controls=[Choice("topology", list(TOPOLOGIES), width="260px"),
              Slider("n", 10, 2000, 10, label="N", width="330px"),
              Choice("stop", list(STOPS), width="300px"),
              Slider("fanout", 1, 5, 1, group="spread", width="260px"),
              Slider("loss", 0.0, 0.5, 0.05, group="spread", width="260px"),
              Slider("crashed", 0.0, 0.5, 0.05, group="spread", width="260px"),
              Choice("mode", MODES, buttons=True, group="mode", width="80px")],
    views=("spread",), run=run_gossip,
    measures=spread_stats,
    table=lambda s: {"informed share": s.informed / s.n, "residue": s.residue, "messages per node": s.traffic,
                     "time to last informed (s)": s.time_to_last, "Pittel log2 N + ln N": pittel_rounds(s.n)},
    notes=_notes, view_options=lambda v: {"origin": 0, "seed": v["seed"]},
    frames=160, interval_ms=150, css="dsysedu-gossip", start=lambda trace: half_informed(trace))


def half_informed(trace) -> float:
    """When half of the nodes had heard the rumor (the end, if they never did): where the playground opens."""
    curve = spread_stats(trace).curve
    half = curve[curve.informed >= len(trace.nodes) / 2]
    return float(half.time.iloc[0]) if len(half) else trace.end_time


class GossipPlayground(Playground):
    """The :data:`GOSSIP` playground.

    Parameters
    ----------
    **values
        Starting values of :func:`gossip_run`'s parameters: ``n`` (the N slider, 10..2000),
        ``seed`` (seeds the topology, the crashed nodes and the run), ``topology``, ``mode``,
        ``fanout``, ``loss``, ``crashed``, ``stop`` (a key of :data:`STOPS`) and ``rounds`` (the run's
        bound: ``until = rounds`` seconds).

    Examples
    --------
    >>> pg = GossipPlayground(n=20, seed=1)
    >>> pg.measures.informed
    20
    """

    def __init__(self, **values):
        super().__init__(GOSSIP, **values)

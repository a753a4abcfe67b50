"""Named, ready-made scenarios: the ones the CLI, the lessons and the dashboards share.

Each demo is a function returning a :class:`~dsysedu.sim.Scenario` from a few
knobs (node count, loss, faults). ``DEMOS`` maps a demo's name to it.
"""
from __future__ import annotations

import networkx as nx

from .sim import LinkModel, Scenario, Uniform
from dsysedu.sim.validate import number, positive_int
from dsysedu.protocols.basics.request_reply import request_reply_scenario
from dsysedu.protocols.basics.toys import Flood, PingEcho

__all__ = ["DEMOS", "demo", "flood", "ping"]


def flood(nodes: int = 8, loss: float = 0.0, faults=(), degree: int | None = None, seed_graph: int = 0,
          until: float = 2.0, latency=None) -> Scenario:
    """Flooding broadcast from node 0; over a complete graph, or a random ``degree``-regular graph."""
    positive_int("nodes", nodes, low=2, high=100_000)
    if degree is None:
        graph = nx.complete_graph(nodes) if nodes <= 60 else nx.random_regular_graph(4, nodes, seed=seed_graph)
    else:
        positive_int("degree", degree, low=1, high=nodes - 1)
        if (degree * nodes) % 2:
            raise ValueError(f"degree * nodes must be even for a regular graph, got degree={degree}, nodes={nodes}")
        graph = nx.random_regular_graph(degree, nodes, seed=seed_graph)
    link = LinkModel(latency=Uniform(0.01, 0.03) if latency is None else latency, loss=loss)
    return Scenario(Flood, nodes=graph, link=link, faults=tuple(faults), until=until, name="flood")


def ping(nodes: int = 4, loss: float = 0.0, faults=(), rounds: int = 10, interval: float = 0.1,
         until: float | None = None, latency=None) -> Scenario:
    """Node 0 pings every other node each ``interval`` seconds; the others echo."""
    positive_int("nodes", nodes, low=2, high=1000)
    positive_int("rounds", rounds, low=1, high=10_000)
    number("interval", interval, low=0.0, low_open=True)
    link = LinkModel(latency=Uniform(0.01, 0.04) if latency is None else latency, loss=loss)
    until = rounds * interval + 0.5 if until is None else until
    return Scenario(PingEcho, nodes=nodes, params={"rounds": rounds, "interval": interval}, link=link,
                    faults=tuple(faults), until=until, name="ping")


DEMOS = {"flood": flood, "ping": ping, "request-reply": request_reply_scenario}


def demo(name: str, **knobs) -> Scenario:
    """Build the demo ``name`` (one of ``DEMOS``) with the given knobs."""
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose one of {sorted(DEMOS)}")
    return DEMOS[name](**knobs)

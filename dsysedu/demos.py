"""Named, ready-made scenarios: the ones the CLI, the lessons and the dashboards share.

Each demo is a function returning a :class:`~dsysedu.sim.Scenario` from a few
knobs (node count, loss, faults, duration). ``DEMOS`` maps a demo's name to it and
``ABOUT`` to a one-line description in plain text (for ``python -m dsysedu list``).
The toys (flood, ping, request-reply) sit beside demos of the course's protocols:
Raft, Paxos, gossip and a replicated register under a partition (CAP, CP and AP).
"""
from __future__ import annotations

import networkx as nx

from .sim import Input, LinkModel, Scenario, Uniform
from dsysedu.sim.validate import number, positive_int
from dsysedu.protocols.basics.request_reply import request_reply_scenario
from dsysedu.protocols.basics.toys import Flood, PingEcho
from dsysedu.protocols.consensus.paxos import Paxos
from dsysedu.protocols.consensus.raft import Raft
from dsysedu.protocols.consensus.raft.messages import ClientRequest
from dsysedu.protocols.membership.gossip import gossip_scenario
from dsysedu.protocols.replication.cap import cap_scenario

__all__ = ["DEMOS", "ABOUT", "demo", "flood", "ping", "raft", "paxos", "gossip", "cap_cp", "cap_ap"]

_SPARSE_FROM = 60   # from this many nodes, flood and gossip run on a random 4-regular graph


def flood(nodes: int = 8, loss: float = 0.0, faults=(), degree: int | None = None, seed_graph: int = 0,
          until: float = 2.0, latency=None) -> Scenario:
    """Flooding broadcast from node 0; over a complete graph, or a random ``degree``-regular graph."""
    positive_int("nodes", nodes, low=2, high=100_000)
    if degree is None:
        graph = nx.complete_graph(nodes) if nodes < _SPARSE_FROM else nx.random_regular_graph(4, nodes, seed=seed_graph)
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


def raft(nodes: int = 5, loss: float = 0.0, faults=(), until: float = 3.0, requests: int = 6) -> Scenario:
    """Raft on ``nodes`` servers: a leader is elected, then ``requests`` client writes arrive 0.3 s apart."""
    positive_int("nodes", nodes, low=1, high=15)
    positive_int("requests", requests, low=0, high=1000)
    inputs = [Input(0.5 + 0.3 * i, i % nodes, ClientRequest("c", i + 1, ("set", "x", i + 1))) for i in range(requests)]
    return Scenario(Raft, nodes=nodes, link=LinkModel(latency=Uniform(0.005, 0.015), loss=loss),
                    faults=tuple(faults), inputs=tuple(i for i in inputs if i.at < until), until=until, name="raft")


def paxos(nodes: int = 5, loss: float = 0.0, faults=(), until: float = 3.0, proposers: int = 2) -> Scenario:
    """Single-decree Paxos: the first ``proposers`` nodes propose their own values, 50 ms apart."""
    positive_int("nodes", nodes, low=1, high=15)
    positive_int("proposers", proposers, low=1, high=nodes)
    chosen = tuple(range(proposers))
    return Scenario(Paxos, nodes=nodes, params={"proposers": chosen},
                    node_params={p: {"start": 0.05 * p} for p in chosen},
                    link=LinkModel(latency=Uniform(0.005, 0.015), loss=loss), faults=tuple(faults),
                    until=until, name="paxos")


def gossip(nodes: int = 50, loss: float = 0.0, faults=(), until: float = 30.0) -> Scenario:
    """Push gossip (rumour mongering, feedback counter k = 2) of one rumour from node 0, one round per second."""
    positive_int("nodes", nodes, low=2, high=100_000)
    graph = nodes if nodes < _SPARSE_FROM else nx.random_regular_graph(4, nodes, seed=0)
    return gossip_scenario(graph, mode="push", stop="feedback-counter", k=2, loss=loss, faults=tuple(faults),
                           until=until)


def cap_cp(nodes: int = 5, loss: float = 0.0, faults=(), until: float = 3.0) -> Scenario:
    """CAP, CP side: majority-quorum register on ``nodes`` replicas, 4 clients, a partition from 0.5 s to 2 s."""
    return _cap("CP", nodes, loss, faults, until)


def cap_ap(nodes: int = 5, loss: float = 0.0, faults=(), until: float = 3.0) -> Scenario:
    """CAP, AP side: last-writer-wins register on ``nodes`` replicas, 4 clients, a partition from 0.5 s to 2 s."""
    return _cap("AP", nodes, loss, faults, until)


def _cap(mode, nodes, loss, faults, until) -> Scenario:
    positive_int("nodes", nodes, low=2, high=15)
    return cap_scenario(mode, replicas=nodes, link=LinkModel(latency=Uniform(0.005, 0.015), loss=loss),
                        faults=tuple(faults), until=until)


DEMOS = {"flood": flood, "ping": ping, "request-reply": request_reply_scenario, "raft": raft, "paxos": paxos,
         "gossip": gossip, "cap-cp": cap_cp, "cap-ap": cap_ap}

ABOUT = {
    "flood": "flooding broadcast from node 0 (complete graph; a random 4-regular graph from 60 nodes)",
    "ping": "node 0 pings every other node, the others echo",
    "request-reply": "chapter 1: a client sends deposits to a server over an unreliable link (2 nodes)",
    "raft": "Raft leader election and replication of client writes",
    "paxos": "single-decree Paxos with competing proposers",
    "gossip": "push gossip of one rumour from node 0 (rumour mongering)",
    "cap-cp": "replicated register under a partition, CP: majority quorums refuse the minority side",
    "cap-ap": "replicated register under a partition, AP: every side answers, replicas converge after the heal",
}


def demo(name: str, **knobs) -> Scenario:
    """Build the demo ``name`` (one of ``DEMOS``) with the given knobs."""
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; choose one of {sorted(DEMOS)}")
    return DEMOS[name](**knobs)

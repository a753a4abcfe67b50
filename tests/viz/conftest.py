"""Traces from real runs for the view tests, built once per session."""
from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import networkx as nx  # noqa: E402
import pytest  # noqa: E402

from dsysedu import (Crash, CutLink, LinkModel, Partition, Pause, Scenario, Uniform,  # noqa: E402
                     run)
from dsysedu.protocols.basics import Flood, PingEcho, RequestReply# noqa: E402

# The fault windows the tests reason about.
CRASH = (3, 0.5, 1.2)            # node, at, until
PARTITION = ([[0, 1], [2, 3, 4]], 1.4, 1.8)


@pytest.fixture(scope="session")
def crash_window():
    return CRASH


@pytest.fixture(scope="session")
def partition_window():
    return PARTITION


@pytest.fixture(scope="session")
def ping_trace():
    """PingEcho on 5 nodes, lossy links, node 3 down 0.5-1.2 s, a partition 1.4-1.8 s."""
    node, at, until = CRASH
    groups, p_at, p_until = PARTITION
    return run(Scenario(PingEcho, nodes=5, params={"rounds": 20},
                        link=LinkModel(latency=Uniform(0.01, 0.05), loss=0.1),
                        faults=[Crash(node, at=at, until=until), Partition(groups, at=p_at, until=p_until)],
                        until=2.5), seed=7)


@pytest.fixture(scope="session")
def flood_trace():
    """Flood on 5 nodes (a ring plus a chord), lossy, with a crash, a partition, a one-way cut and a pause."""
    g = nx.cycle_graph(5)
    g.add_edge(0, 2)
    return run(Scenario(Flood, nodes=g, link=LinkModel(latency=Uniform(0.01, 0.05), loss=0.2),
                        faults=[Crash(4, at=0.0, until=0.05), Partition([[0, 1], [2, 3, 4]], at=0.02, until=0.06),
                                CutLink(0, 1, at=0.0, until=0.03), Pause(3, at=0.01, until=0.04)],
                        until=0.2), seed=3)


@pytest.fixture(scope="session")
def request_trace():
    return run(Scenario(RequestReply, nodes=2, link=LinkModel(latency=Uniform(0.01, 0.05), loss=0.2),
                        faults=[Crash(1, at=0.7, until=1.2)], until=2.5), seed=7)


@pytest.fixture(scope="session")
def big_flood_trace():
    g = nx.random_regular_graph(4, 2000, seed=1)
    return run(Scenario(Flood, nodes=g, link=LinkModel(latency=Uniform(0.01, 0.05)),
                        faults=[Crash(n, at=0.0) for n in range(100, 110)], until=2.0), seed=1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")

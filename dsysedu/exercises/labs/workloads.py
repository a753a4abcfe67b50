"""A lab's run: servers, clients with their plans, the network and the nemesis, as one Scenario.

Everything random in a lab run (the clients' plans, the partitions, the crashes) is drawn from the
grading seed here, and the run itself uses the same seed: ``lab_scenario(..., seed=s)`` with
``run(scenario, seed=s)`` is the whole of a graded run, so a seed replays it.

Partitions cut only the links *between servers* (one :class:`~dsysedu.sim.CutLink` each way per
pair across the cut), so that clients always reach their server, as in Maelstrom, whose nemesis
partitions the cluster and not its clients.

Examples
--------
>>> import random
>>> faults = partition_faults(random.Random(1), ["n0", "n1", "n2"], start=0.5, stop=2.0)
>>> sorted({type(f).__name__ for f in faults})
['CutLink']
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from dsysedu.sim.faults import CutLink, Nemesis
from dsysedu.sim.network import LinkModel, Uniform
from dsysedu.sim.scenario import Scenario

from .client import LabClient

__all__ = ["Workload", "lab_scenario", "partition_faults", "crash_faults", "plan_rng"]


def plan_rng(seed, what: str) -> random.Random:
    """A random stream for one concern of a lab run (``"plan"``, ``"partitions"``...), from the seed."""
    return random.Random(f"dsysedu-lab:{seed}:{what}")


def partition_faults(rng: random.Random, servers, start: float, stop: float, mean: float = 0.6) -> list:
    """Random partitions of ``servers`` into two sides between ``start`` and ``stop``, one at a time.

    Each lasts a uniform time around ``mean`` and is followed by a healed gap of about half that.
    Every side has at least one server; all is healed by ``stop``.
    """
    servers = sorted(servers)
    faults, t = [], start
    while len(servers) >= 2:
        length = rng.uniform(0.5 * mean, 1.5 * mean)
        end = min(t + length, stop)
        if end <= t:
            break
        side = [s for s in servers if rng.random() < 0.5]
        if not side or len(side) == len(servers):
            side = [servers[rng.randrange(len(servers))]]
        other = [s for s in servers if s not in side]
        for a in side:
            for b in other:
                faults += [CutLink(a, b, at=t, until=end), CutLink(b, a, at=t, until=end)]
        t = end + rng.uniform(0.25 * mean, 0.75 * mean)
        if t >= stop:
            break
    return faults


def crash_faults(rng: random.Random, servers, start: float, stop: float, mean: float = 0.4) -> list:
    """Crashes and pauses of servers between ``start`` and ``stop``, drawn by the engine's
    :class:`~dsysedu.sim.Nemesis` (a minority down at once, everyone back by ``stop``).

    The nemesis is given the servers only, so clients never crash.
    """
    nemesis = Nemesis(crash_rate=0.5, pause_rate=0.15, mean_downtime=mean, start=start, stop=stop)
    return nemesis.schedule(sorted(servers), rng)


@dataclass(frozen=True)
class Workload:
    """What a lab part runs: the cluster, its clients' operations, the network and the nemesis.

    Attributes
    ----------
    servers, clients : int
        How many of each; client ``ci`` asks server ``n(i mod servers)``.
    plan : callable(random.Random, client index) -> tuple of (kind, key, value)
        Each client's operations.
    until : float
        Simulated seconds.
    latency : tuple (low, high)
        Uniform one-way latency of every link, in seconds.
    loss : float
        Share of messages between servers that are lost.
    partitions, crashes : bool
        Random partitions between servers, and random crashes and pauses of a minority of them
        (the engine's Nemesis), from ``fault_start`` until ``fault_stop``.
    final : tuple (kind, key) or None
        A final reader per server (``"r0"``...) asks this at ``final_at``.
    gap, timeout : float
        The clients' pause between operations and their timeout.
    rotate : bool
        Clients move to the next server after a failure or a timeout.
    """
    servers: int = 3
    clients: int = 3
    plan: Callable = None
    until: float = 4.0
    latency: tuple = (0.002, 0.02)
    loss: float = 0.0
    partitions: bool = False
    crashes: bool = False
    fault_start: float = 0.3
    fault_stop: float = 2.5
    final: tuple | None = None
    final_at: float = 3.5
    gap: float = 0.05
    timeout: float = 0.5
    rotate: bool = False
    max_events: int = 400_000


def lab_scenario(server_cls, workload: Workload, seed: int, name: str = "") -> Scenario:
    """The Scenario of one graded run of ``server_cls`` under ``workload``, drawn from ``seed``."""
    servers = [f"n{i}" for i in range(workload.servers)]
    clients = [f"c{i}" for i in range(workload.clients)]
    readers = [f"r{i}" for i in range(workload.servers)] if workload.final is not None else []
    protocol = {s: server_cls for s in servers}
    node_params = {}
    rng = plan_rng(seed, "plan")
    common = dict(gap=workload.gap, timeout=workload.timeout, rotate=workload.rotate)
    for i, c in enumerate(clients):
        protocol[c] = LabClient
        node_params[c] = dict(plan=workload.plan(rng, i), server=servers[i % len(servers)],
                              start=rng.uniform(0.0, 0.05), **common)
    for i, r in enumerate(readers):
        protocol[r] = LabClient
        kind, key = workload.final
        node_params[r] = dict(plan=((kind, key, None),), server=servers[i], start=workload.final_at,
                              gap=workload.gap, timeout=workload.timeout)
    faults = []
    if workload.partitions:
        faults += partition_faults(plan_rng(seed, "partitions"), servers, workload.fault_start, workload.fault_stop)
    if workload.crashes:
        faults += crash_faults(plan_rng(seed, "crashes"), servers, workload.fault_start, workload.fault_stop)
    plain = LinkModel(latency=Uniform(*workload.latency))
    lossy = LinkModel(latency=Uniform(*workload.latency), loss=workload.loss)
    links = {(a, b): lossy for a in servers for b in servers if a != b} if workload.loss else {}
    return Scenario(protocol, nodes=servers + clients + readers, node_params=node_params, link=plain, links=links,
                    faults=faults, until=workload.until, max_events=workload.max_events, name=name)

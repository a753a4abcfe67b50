"""Redundancy (冗余): how available is a service of ``n`` replicas that fail independently?

Each replica alternates between up (exponential, mean ``mttf`` seconds) and down (exponential,
mean ``mttr``): its availability is ``a = mttf / (mttf + mttr)``. The service is up while at
least ``k`` replicas are, so, with independent failures, its availability is the binomial tail

.. math:: A = \\sum_{j=k}^{n} \\binom{n}{j} a^j (1-a)^{n-j}

(``1 - (1 - a)^n`` for ``k = 1``). :func:`redundancy_scenario` draws each replica's crashes and
recoveries from the seed as ordinary :class:`~dsysedu.sim.Crash` faults, and
:func:`measured_availability` reads from the trace the share of time ``k`` or more were up.
Correlated failures (a shared rack, a bad deploy) break the independence the formula assumes.
"""
from __future__ import annotations

import math
import random

from dsysedu.sim.faults import Crash
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import number, positive_int

__all__ = ["Replica", "availability", "redundancy_scenario", "measured_availability", "availability_table"]


class Replica(Node):
    """A replica that does nothing but be up or down (its crashes are the scenario's faults)."""
    state_fields = ()


def availability(n: int, a: float, k: int = 1) -> float:
    """Probability that at least ``k`` of ``n`` independent replicas, each up with probability ``a``, are up.

    Examples
    --------
    >>> round(availability(3, 0.99), 6)
    0.999999
    >>> round(availability(3, 0.9, k=2), 3)
    0.972
    """
    positive_int("n", n, high=10_000)
    positive_int("k", k, high=n)
    number("a", a, low=0.0, high=1.0)
    return sum(math.comb(n, j) * a ** j * (1 - a) ** (n - j) for j in range(k, n + 1))


def redundancy_scenario(n: int = 3, mttf: float = 9.0, mttr: float = 1.0, until: float = 2000.0,
                        seed=0) -> Scenario:
    """``n`` replicas whose crashes (every ``mttf`` s on average) and repairs (``mttr`` s) are
    drawn from ``seed`` as Crash faults."""
    positive_int("n", n, high=1000)
    number("mttf", mttf, low=0.0, low_open=True)
    number("mttr", mttr, low=0.0, low_open=True)
    rng = random.Random(normalize_seed(seed))
    ids = [f"r{i}" for i in range(n)]
    faults = []
    for r in ids:
        t = rng.expovariate(1 / mttf)
        while t < until:
            back = t + rng.expovariate(1 / mttr)
            faults.append(Crash(r, at=t, until=min(back, until)))
            t = back + rng.expovariate(1 / mttf)
    return Scenario(Replica, nodes=ids, faults=faults, until=until, max_events=10_000_000,
                    name=f"{n} replicas, MTTF {mttf:g} s, MTTR {mttr:g} s")


def measured_availability(trace, k: int = 1) -> float:
    """Share of the run during which at least ``k`` replicas were up (from its crash/recover rows)."""
    up = len(trace.nodes)
    last, total = 0.0, 0.0
    for e in trace.events:
        if e.kind in ("crash", "recover"):
            if up >= k:
                total += e.time - last
            last = e.time
            up += -1 if e.kind == "crash" else 1
    if up >= k:
        total += trace.end_time - last
    return total / trace.end_time


def availability_table(ns=(1, 2, 3, 5), ks=(1,), mttf: float = 9.0, mttr: float = 1.0, seeds=range(3),
                       until: float = 4000.0):
    """Simulated (mean over ``seeds``) against the formula, per ``n`` and ``k``: a DataFrame."""
    import pandas as pd
    from dsysedu.sim.kernel import run
    a = mttf / (mttf + mttr)
    rows = []
    for n in ns:
        for k in ks:
            if k > n:
                continue
            sim = [measured_availability(run(redundancy_scenario(n, mttf, mttr, until, seed=seed)), k)
                   for seed in seeds]
            rows.append({"replicas": n, "needed": k, "simulated": sum(sim) / len(sim),
                         "formula": availability(n, a, k)})
    return pd.DataFrame(rows)

"""Cost-effectiveness (成本效益): replicas, consistency level, availability nines and what they cost.

A replicated store of ``n`` replicas answers a request at consistency level ``ONE`` when one
replica is up, ``QUORUM`` when a majority is, ``ALL`` when every replica is (Cassandra's levels;
DynamoDB and Riak offer the same choice as R and W). So the store is a :class:`~.availability.KOfN`
system, and each level buys a different number of nines for the same bill:

* :func:`cost_table`: availability, nines, downtime per year and monthly cost for every
  replica count and level, by the formula;
* :func:`replica_set_scenario`: the same store in the simulator, each replica crashing and
  recovering with exponential times drawn from the seed, for the cost explorer dashboard;
  :func:`replica_set_measures` reads back the share of time it could answer, with a
  batch-means confidence interval, beside the formula.

Time is in hours: ``mttr=1.0`` is an hour's repair.
"""
from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
from scipy import stats

from dsysedu.sim.faults import Crash
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed
from dsysedu.sim.validate import number, positive_int
from .availability import KOfN, availability, component_from_nines, downtime_minutes_per_year, nines

__all__ = ["CONSISTENCY", "needed", "replica_set", "cost_table", "PricedReplica", "replica_set_scenario",
           "replica_set_measures", "HOURS_PER_MONTH"]

CONSISTENCY = ("ONE", "QUORUM", "ALL")
HOURS_PER_MONTH = 730.0


def needed(level: str, replicas: int) -> int:
    """How many of ``replicas`` must be up to answer at ``level``.

    >>> [needed(level, 5) for level in CONSISTENCY]
    [1, 3, 5]
    """
    replicas = positive_int("replicas", replicas, high=1000)
    if level not in CONSISTENCY:
        raise ValueError(f"consistency must be one of {CONSISTENCY}, got {level!r}")
    return {"ONE": 1, "QUORUM": replicas // 2 + 1, "ALL": replicas}[level]


def replica_set(replicas: int, level: str, replica_nines: float = 2.0, mttr: float = 1.0) -> KOfN:
    """The store as a k-of-n block diagram of identical replicas."""
    parts = [component_from_nines(f"r{i}", replica_nines, mttr) for i in range(positive_int("replicas", replicas))]
    return KOfN(needed(level, replicas), parts)


def cost_table(replicas=range(1, 8), levels=CONSISTENCY, replica_nines: float = 2.0,
               cost_per_replica: float = 100.0) -> pd.DataFrame:
    """One row per replica count and level: ``replicas, consistency, needed, availability, nines,
    downtime_min_per_year, monthly_cost`` (the formula, independent failures).

    >>> t = cost_table(replicas=[3], replica_nines=2.0)
    >>> list(t.nines.round(2))
    [6.0, 3.53, 1.52]
    """
    number("cost_per_replica", cost_per_replica, low=0.0)
    rows = []
    for n in replicas:
        for level in levels:
            a = availability(replica_set(n, level, replica_nines))
            rows.append({"replicas": n, "consistency": level, "needed": needed(level, n), "availability": a,
                         "nines": nines(a), "downtime_min_per_year": downtime_minutes_per_year(a),
                         "monthly_cost": n * cost_per_replica})
    return pd.DataFrame(rows)


class PricedReplica(Node):
    """A replica that only is up or down (its crashes are the scenario's faults); it states its set's
    configuration once, so that the measures can be read from the trace alone."""
    state_fields = ()

    def __init__(self, node_id, peers=(), needed=1, cost=0.0, mtbf=1.0, mttr=1.0):
        super().__init__(node_id, peers)
        self.needed, self.cost, self.mtbf, self.mttr = needed, cost, mtbf, mttr

    def on_start(self, ctx):
        ctx.observe("config", (self.needed, self.cost, self.mtbf, self.mttr))
        ctx.observe("role", "replica")


def replica_set_scenario(replicas: int = 3, consistency: str = "QUORUM", replica_nines: float = 2.0,
                         mttr: float = 1.0, cost_per_replica: float = 100.0, cycles: int = 300,
                         seed=0) -> Scenario:
    """``replicas`` replicas that crash (mean ``mtbf`` hours, from ``replica_nines``) and are repaired
    (mean ``mttr`` hours), drawn from ``seed``; the run lasts ``cycles`` mean failure cycles.

    Parameters
    ----------
    replicas : int
        1 to 9.
    consistency : {"ONE", "QUORUM", "ALL"}
    replica_nines : float
        Each replica's availability in nines (2.0 is 99 %), in (0, 5].
    mttr : float
        Mean hours to repair a replica.
    cost_per_replica : float
        Monthly cost of one replica (any currency).
    cycles : int
        Length of the run in mean failure cycles of one replica (mtbf + mttr), 10 to 2000.
    seed : None, int or numpy.random.Generator
        Draws the crash and repair times (give the run the same seed).
    """
    n = positive_int("replicas", replicas, high=9)
    k = needed(consistency, n)
    replica_nines = number("replica_nines", replica_nines, low=0.0, low_open=True, high=5.0)
    mttr = number("mttr", mttr, low=0.0, low_open=True)
    cost = number("cost_per_replica", cost_per_replica, low=0.0)
    cycles = positive_int("cycles", cycles, low=10, high=2000)
    mtbf = component_from_nines("r", replica_nines, mttr).mtbf
    until = cycles * (mtbf + mttr)
    rng = random.Random(normalize_seed(seed))
    ids = [f"r{i}" for i in range(n)]
    faults = []
    a = mtbf / (mtbf + mttr)
    for r in ids:              # stationary start: down at t = 0 with probability 1 - a
        t = 0.0 if rng.random() >= a else -1.0
        if t < 0:
            back = rng.expovariate(1 / mttr)
            faults.append(Crash(r, at=0.0, until=min(back, until)))
            t = back
        t += rng.expovariate(1 / mtbf)
        while t < until:
            back = t + rng.expovariate(1 / mttr)
            faults.append(Crash(r, at=t, until=min(back, until)))
            t = back + rng.expovariate(1 / mtbf)
    params = {"needed": k, "cost": cost, "mtbf": mtbf, "mttr": mttr}
    return Scenario(PricedReplica, nodes=ids, params=params, faults=faults, until=until, max_events=2_000_000,
                    name=f"{n} replicas at {consistency}, {replica_nines:g} nines each")


def _up_share(trace, k: int, edges: np.ndarray) -> np.ndarray:
    """Share of each window ``[edges[i], edges[i+1])`` during which at least ``k`` replicas were up."""
    up = len(trace.nodes)
    changes = [(0.0, up)]
    for e in trace.events:
        if e.kind in ("crash", "recover"):
            up += -1 if e.kind == "crash" else 1
            changes.append((e.time, up))
    times = np.array([t for t, _ in changes] + [trace.end_time])
    ok = np.array([u >= k for _, u in changes], dtype=float)
    # time up before each edge, by integrating the step function
    cum = np.concatenate([[0.0], np.cumsum(np.diff(times) * ok)])

    def before(x):
        i = np.clip(np.searchsorted(times, x, side="right") - 1, 0, len(ok) - 1)
        return cum[i] + (x - times[i]) * ok[i]

    return np.diff(before(edges)) / np.diff(edges)


def replica_set_measures(trace, batches: int = 20, confidence: float = 0.95) -> dict:
    """Formula against simulation for a :func:`replica_set_scenario` run.

    Returns a dict: ``needed``, ``formula`` (availability), ``simulated`` (share of time at least
    ``needed`` replicas were up), ``ci_low``/``ci_high`` (batch means over ``batches`` equal
    windows, Student's t), ``nines`` (of the formula), ``downtime_min_per_year`` and
    ``monthly_cost``.
    """
    positive_int("batches", batches, low=2, high=10_000)
    config = trace.observations("config")
    if not len(config):
        raise ValueError("not a replica_set_scenario run: no replica stated its configuration")
    k, cost, mtbf, mttr = config.value.iloc[0]
    n = len(trace.nodes)
    a = mtbf / (mtbf + mttr)
    formula = sum(math.comb(n, j) * a ** j * (1 - a) ** (n - j) for j in range(k, n + 1))
    edges = np.linspace(0.0, trace.end_time, batches + 1)
    shares = _up_share(trace, k, edges)
    whole = float(np.sum(shares * np.diff(edges)) / trace.end_time)
    half = float(stats.t.ppf((1 + confidence) / 2, batches - 1) * shares.std(ddof=1) / math.sqrt(batches))
    return {"needed": int(k), "formula": formula, "simulated": whole, "ci_low": max(0.0, whole - half),
            "ci_high": min(1.0, whole + half),
            "nines": nines(formula), "downtime_min_per_year": downtime_minutes_per_year(formula),
            "monthly_cost": n * cost}

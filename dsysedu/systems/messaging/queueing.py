"""Queueing theory as a check on the simulator: Little's law, M/M/1 and M/M/c (Erlang C).

An :class:`MMcServer` is a queue in front of ``servers`` identical workers. Jobs arrive as a
Poisson process of rate ``arrival_rate`` (λ) and each takes an exponential service time of
rate ``service_rate`` (μ), first come first served. It observes ``in_system`` (jobs waiting or
in service) at every change, ``wait`` (time in the queue) when a job starts and ``sojourn``
(time in the system) when it leaves. After ``jobs`` arrivals it takes no more and drains.

The classic results it is measured against:

- **Little's law** [1]_: over a period in which the system starts and ends empty, the time
  average of the number in the system is exactly λ·W (``L = λW``), whatever the distributions;
  :func:`littles_law` measures both sides on a trace.
- **M/M/1**: mean wait in the queue ``Wq = ρ / (μ - λ)`` with ``ρ = λ/μ`` [2]_.
- **M/M/c**: ``Wq = C(c, a) / (cμ - λ)`` where ``a = λ/μ`` and ``C`` is the Erlang C probability
  that an arriving job must wait [3]_ (:func:`erlang_c`, by the stable Erlang B recursion).

The formulas are steady-state means. A finite run starts empty, so its first jobs wait less
than the steady state says: its mean is biased low (*warm-up bias*), the more the closer ρ is
to 1. :func:`warmup_bias` measures that by comparing the first jobs with the rest.

References
----------
.. [1] J. D. C. Little, "A proof for the queuing formula: L = λW", *Operations Research* 9(3), 1961.
.. [2] L. Kleinrock, *Queueing Systems, Volume 1: Theory*, Wiley 1975, ch. 3.
.. [3] A. K. Erlang, "Solution of some problems in the theory of probabilities of significance in
   automatic telephone exchanges", 1917.
"""
from __future__ import annotations

from collections import deque

import pandas as pd

from dsysedu.sim.kernel import run
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["MMcServer", "mmc_scenario", "erlang_c", "mm1_mean_wait", "mmc_mean_wait", "littles_law",
           "queue_waits", "mmc_table", "warmup_bias", "SERVER"]

SERVER = "server"


class MMcServer(Node):
    """A FIFO queue and ``servers`` workers, with its own Poisson arrivals (see the module docstring).

    Parameters
    ----------
    arrival_rate, service_rate : float
        λ and μ, per second (> 0).
    servers : int
        c, the number of workers (>= 1).
    jobs : int
        Arrivals before the source stops (the system then drains).
    """

    def __init__(self, node_id, peers=(), arrival_rate=0.8, service_rate=1.0, servers=1, jobs=1000):
        super().__init__(node_id, peers)
        self.arrival_rate = number("arrival_rate", arrival_rate, low=0.0, low_open=True)
        self.service_rate = number("service_rate", service_rate, low=0.0, low_open=True)
        self.servers = positive_int("servers", servers)
        self.jobs = positive_int("jobs", jobs)
        self.arrived = 0
        self.busy = 0
        self.queue: deque = deque()       # (job, arrival time)
        self.arrival: dict = {}           # job -> arrival time, while in service

    def on_start(self, ctx):
        ctx.observe("in_system", 0)
        ctx.set_timer("arrive", ctx.rng.expovariate(self.arrival_rate))

    def in_system(self) -> int:
        return len(self.queue) + self.busy

    def on_timer(self, ctx, name):
        if name == "arrive":
            job = self.arrived
            self.arrived += 1
            self.queue.append((job, ctx.now))
            ctx.observe("in_system", self.in_system())
            self.start(ctx)
            if self.arrived < self.jobs:
                ctx.set_timer("arrive", ctx.rng.expovariate(self.arrival_rate))
        else:                                   # ("done", job)
            job = name[1]
            self.busy -= 1
            ctx.observe("sojourn", ctx.now - self.arrival.pop(job))
            ctx.observe("in_system", self.in_system())
            self.start(ctx)

    def start(self, ctx) -> None:
        while self.busy < self.servers and self.queue:
            job, at = self.queue.popleft()
            self.busy += 1
            self.arrival[job] = at
            ctx.observe("wait", ctx.now - at)
            ctx.set_timer(("done", job), ctx.rng.expovariate(self.service_rate))


def mmc_scenario(arrival_rate: float = 0.8, service_rate: float = 1.0, servers: int = 1, jobs: int = 1000,
                 until: float | None = None) -> Scenario:
    """One :class:`MMcServer`, run until it has drained (``until`` defaults to a generous bound)."""
    if until is None:
        until = 50.0 * jobs / arrival_rate + 1000.0
    return Scenario(MMcServer, nodes=[SERVER], until=until, max_events=20 * jobs + 1000,
                    params={"arrival_rate": arrival_rate, "service_rate": service_rate, "servers": servers,
                            "jobs": jobs}, name="M/M/c queue")


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: the probability that an arriving job waits, with ``servers`` workers and load ``a = λ/μ``.

    Examples
    --------
    >>> round(erlang_c(1, 0.8), 6)    # M/M/1: the probability of waiting is ρ
    0.8
    >>> round(erlang_c(2, 1.0), 4)
    0.3333
    """
    c = positive_int("servers", servers)
    a = number("offered_load", offered_load, low=0.0)
    if a >= c:
        raise ValueError(f"offered_load must be below the number of servers ({c}) for a steady state, got {a}")
    b = 1.0                                     # Erlang B, by recursion over the servers
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def mm1_mean_wait(arrival_rate: float, service_rate: float) -> float:
    """M/M/1 mean time in the queue, ``ρ / (μ - λ)`` (raises ``ValueError`` unless λ < μ)."""
    return mmc_mean_wait(arrival_rate, service_rate, 1)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """M/M/c mean time in the queue, ``C(c, λ/μ) / (cμ - λ)``."""
    lam = number("arrival_rate", arrival_rate, low=0.0, low_open=True)
    mu = number("service_rate", service_rate, low=0.0, low_open=True)
    return erlang_c(servers, lam / mu) / (servers * mu - lam)


def littles_law(trace) -> dict:
    """Both sides of ``L = λW`` measured on a run of :class:`MMcServer` (from its first event to the last).

    ``L`` is the time average of ``in_system``; ``λ`` the jobs that left per second; ``W`` their mean
    sojourn. When the run drains, the two sides agree to rounding: Little's law is an identity
    of the sample path, not only of the steady state.
    """
    obs = trace.observations()
    counts = obs[obs.key == "in_system"]
    sojourns = obs[obs.key == "sojourn"]["value"].astype(float)
    if counts.empty or sojourns.empty:
        raise ValueError("the trace has no in_system/sojourn observations: run an MMcServer scenario")
    times = counts["time"].to_numpy(dtype=float)
    values = counts["value"].to_numpy(dtype=float)
    span = times[-1] - times[0]
    area = float(((times[1:] - times[:-1]) * values[:-1]).sum())
    L = area / span
    lam = len(sojourns) / span
    W = float(sojourns.mean())
    return {"L": L, "lambda": lam, "W": W, "lambda_W": lam * W, "jobs": len(sojourns), "span": span,
            "drained": bool(values[-1] == 0)}


def queue_waits(trace) -> list:
    """The wait in the queue of each job, in the order the jobs started."""
    return [float(r[6]) for r in trace.rows if r[1] == "observe" and r[5] == "wait"]


def mmc_table(settings, jobs: int = 5000, seeds=range(3), service_rate: float = 1.0) -> pd.DataFrame:
    """Simulated against predicted mean wait for ``settings``, a list of ``(servers, utilisation ρ)``.

    Returns one row per setting: ``servers, rho, simulated, predicted, error`` (relative), the
    simulated value a mean over ``seeds`` of runs of ``jobs`` jobs, warm-up included.
    """
    rows = []
    for c, rho in settings:
        lam = rho * c * service_rate
        waits = [sum(queue_waits(run(mmc_scenario(lam, service_rate, c, jobs), seed=s))) / jobs for s in seeds]
        sim = sum(waits) / len(waits)
        pred = mmc_mean_wait(lam, service_rate, c)
        rows.append({"servers": c, "rho": rho, "simulated": sim, "predicted": pred, "error": sim / pred - 1})
    return pd.DataFrame(rows)


def warmup_bias(arrival_rate: float, service_rate: float = 1.0, servers: int = 1, jobs: int = 400,
                seeds=range(20), first: int = 50) -> dict:
    """Mean wait of the first ``first`` jobs against the rest, over ``seeds`` runs that start empty.

    Returns ``{"first": ..., "rest": ..., "predicted": ...}``: the first jobs of a run that starts
    empty wait less than the steady state predicts; this is the warm-up bias of short runs.
    """
    head, tail = [], []
    for s in seeds:
        w = queue_waits(run(mmc_scenario(arrival_rate, service_rate, servers, jobs), seed=s))
        head += w[:first]
        tail += w[first:]
    return {"first": sum(head) / len(head), "rest": sum(tail) / len(tail),
            "predicted": mmc_mean_wait(arrival_rate, service_rate, servers)}

"""Self-healing (自愈): a reconciliation loop that keeps a service at its desired replicas.

::

                    probes, StartReplica / StopReplica
    controller ──────────────────────────────▶ w0  w1  w2  w3  w4   (workers: each runs replicas)
        │ endpoints (ready replicas on healthy workers)                 ▲
        ▼                                                               │ WorkRequest / WorkDone
      client ───────────────────────────────────────────────────────────┘

The :class:`Controller` is an ordinary simulator node running the loop of a Kubernetes
controller: every ``interval`` it *observes* (a probe to each worker; a probe not answered by the
next tick is a failed health check), *compares* with the desired state (``desired`` replicas,
each placed on a healthy worker and running there) and *acts*:

* **restart**: a healthy worker reports that a replica placed on it is not running (the worker
  rebooted before anyone noticed): start it again in place;
* **reschedule**: a replica sits on a worker marked unhealthy: place it on the healthy worker
  with the fewest replicas and start it there;
* **stop**: a worker runs a replica placed elsewhere (it came back after a reschedule): stop it;
* **shift traffic**: the client's endpoints are the ready replicas on healthy workers, pushed
  whenever they change.

A worker is marked unhealthy after ``fall`` failed checks in a row and healthy again after
``rise`` good ones: hysteresis (HAProxy's ``fall``/``rise``, a Kubernetes probe's
``failureThreshold``/``successThreshold``). With ``fall = rise = 1`` a worker whose probes are
lost now and then *flaps*: its state flips with every lost probe and its replicas move each time.

Without the loop (``loop=False``) there is no controller: each worker starts its own replicas
when it boots (a supervisor on the machine), and the client keeps its first endpoints, so a
replica is back only when its machine is. Failures are machine crashes (``Crash`` of a worker,
with a repair time): :func:`failure_schedule` draws a seeded schedule of them.

Measures read from the trace: :func:`serving` (replicas ready on live workers, over time),
:func:`outages` (the spans with fewer than ``desired``; their mean length is the MTTR, mean time
to repair), :func:`health_flips`, and :func:`healing_report` (all of it plus failed requests).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.faults import Crash
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.streams import normalize_seed, numpy_stream
from dsysedu.sim.validate import number, positive_int, probability

__all__ = ["HealthProbe", "HealthReport", "StartReplica", "StopReplica", "Endpoints", "WorkRequest", "WorkDone",
           "Worker", "Controller", "HealingClient", "healing_scenario", "failure_schedule", "serving", "outages",
           "health_flips", "healing_report", "CONTROLLER", "HEALING_CLIENT"]

CONTROLLER = "controller"
HEALING_CLIENT = "client"


@dataclass(frozen=True)
class HealthProbe:
    """A health check, numbered by the controller's tick."""
    seq: int


@dataclass(frozen=True)
class HealthReport:
    """A worker's answer: the replicas it runs (ready) and is starting."""
    seq: int
    ready: tuple
    starting: tuple


@dataclass(frozen=True)
class StartReplica:
    replica: str


@dataclass(frozen=True)
class StopReplica:
    replica: str


@dataclass(frozen=True)
class Endpoints:
    """Where the client may send work: ``(replica, worker)`` pairs."""
    pairs: tuple


@dataclass(frozen=True)
class WorkRequest:
    request: int
    replica: str


@dataclass(frozen=True)
class WorkDone:
    request: int
    ok: bool


def _worker_name(i: int) -> str:
    return f"w{i}"


def _replica_name(i: int) -> str:
    return f"r{i}"


class Worker(Node):
    """A machine that runs replicas: each takes ``startup`` seconds from StartReplica to ready.

    ``initial`` replicas are started whenever the worker boots (and again after a crash); a
    worker under a controller has none and does what it is told.
    """

    def __init__(self, node_id, peers=(), startup=2.0, initial=()):
        super().__init__(node_id, peers)
        self.startup = number("startup", startup, low=0.0)
        self.initial = tuple(initial)
        self.ready: set = set()
        self.starting: set = set()

    def on_start(self, ctx):
        ctx.observe("ready", ())
        for r in self.initial:
            self.start(ctx, r)

    def start(self, ctx, replica) -> None:
        if replica in self.ready or replica in self.starting:
            return
        self.starting.add(replica)
        ctx.set_timer(("up", replica), self.startup)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, HealthProbe):
            ctx.send(src, HealthReport(msg.seq, tuple(sorted(self.ready)), tuple(sorted(self.starting))))
        elif isinstance(msg, StartReplica):
            self.start(ctx, msg.replica)
        elif isinstance(msg, StopReplica):
            self.starting.discard(msg.replica)
            ctx.cancel_timer(("up", msg.replica))
            if msg.replica in self.ready:
                self.ready.discard(msg.replica)
                ctx.observe("ready", tuple(sorted(self.ready)))
        elif isinstance(msg, WorkRequest):
            ctx.send(src, WorkDone(msg.request, msg.replica in self.ready))

    def on_timer(self, ctx, name):
        replica = name[1]
        if replica in self.starting:
            self.starting.discard(replica)
            self.ready.add(replica)
            ctx.observe("ready", tuple(sorted(self.ready)))


class Controller(Node):
    """The reconciliation loop: observe (probes), compare (desired vs actual), act (see the module).

    Parameters
    ----------
    workers : tuple of node ids
    desired : int
        Replicas wanted (>= 1), named r0, r1...
    interval : float
        Seconds between ticks (> 0); a probe unanswered by the next tick has failed.
    fall, rise : int
        Failed checks in a row that mark a worker unhealthy; good checks in a row that mark it
        healthy again (>= 1 each).
    """

    def __init__(self, node_id, peers=(), workers=(), desired=3, interval=1.0, fall=3, rise=2):
        super().__init__(node_id, peers)
        self.workers = tuple(sorted(workers))
        if not self.workers:
            raise ValueError("a Controller needs at least one worker")
        self.desired = positive_int("desired", desired)
        self.interval = number("interval", interval, low=0.0, low_open=True)
        self.fall = positive_int("fall", fall)
        self.rise = positive_int("rise", rise)
        self.placement = {_replica_name(i): self.workers[i % len(self.workers)] for i in range(self.desired)}
        self.health = {w: "healthy" for w in self.workers}
        self.failures = {w: 0 for w in self.workers}
        self.successes = {w: 0 for w in self.workers}
        self.reports: dict = {}          # worker -> (ready, starting) from its last answer
        self.answered: dict = {}         # worker -> seq of its last answer
        self.seq = 0
        self.endpoints: tuple = ()

    def on_start(self, ctx):
        for r, w in sorted(self.placement.items()):
            ctx.send(w, StartReplica(r))
        self.seq = 1
        self.probe(ctx)

    def probe(self, ctx) -> None:
        for w in self.workers:
            ctx.send(w, HealthProbe(self.seq))
        ctx.set_timer("tick", self.interval)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, HealthReport) and msg.seq == self.seq:
            self.answered[src] = msg.seq
            self.reports[src] = (set(msg.ready), set(msg.starting))

    def on_timer(self, ctx, name):
        self.observe_health(ctx)
        self.reconcile(ctx)
        self.seq += 1
        self.probe(ctx)

    # -- observe ----------------------------------------------------------------
    def observe_health(self, ctx) -> None:
        for w in self.workers:
            if self.answered.get(w) == self.seq:
                self.successes[w] += 1
                self.failures[w] = 0
                if self.health[w] == "unhealthy" and self.successes[w] >= self.rise:
                    self.health[w] = "healthy"
                    ctx.observe("health", (w, "healthy"))
            else:
                self.failures[w] += 1
                self.successes[w] = 0
                self.reports.pop(w, None)
                if self.health[w] == "healthy" and self.failures[w] >= self.fall:
                    self.health[w] = "unhealthy"
                    ctx.observe("health", (w, "unhealthy"))

    # -- compare and act --------------------------------------------------------
    def reconcile(self, ctx) -> None:
        healthy = [w for w in self.workers if self.health[w] == "healthy"]
        for r in sorted(self.placement):
            w = self.placement[r]
            if self.health[w] == "unhealthy" and healthy:
                load = {v: sum(p == v for p in self.placement.values()) for v in healthy}
                target = min(healthy, key=lambda v: (load[v], v))
                self.placement[r] = target
                ctx.observe("reschedule", (r, w, target))
                ctx.send(target, StartReplica(r))
            elif w in self.reports:
                ready, starting = self.reports[w]
                if r not in ready and r not in starting:
                    ctx.observe("restart", (r, w))
                    ctx.send(w, StartReplica(r))
        for w in healthy:
            ready, starting = self.reports.get(w, (set(), set()))
            for r in sorted(ready | starting):
                if self.placement.get(r) != w:
                    ctx.send(w, StopReplica(r))
        pairs = tuple((r, w) for r, w in sorted(self.placement.items())
                      if self.health[w] == "healthy" and r in self.reports.get(w, (set(), set()))[0])
        if pairs != self.endpoints:
            self.endpoints = pairs
            ctx.observe("endpoints", pairs)
            if HEALING_CLIENT in self.peers:
                ctx.send(HEALING_CLIENT, Endpoints(pairs))


class HealingClient(Node):
    """Sends work round robin to its endpoints (Poisson, ``rate`` per second); no answer in ``timeout`` fails."""

    def __init__(self, node_id, peers=(), rate=20.0, timeout=0.5, endpoints=(), begin=0.0, stop=None):
        super().__init__(node_id, peers)
        self.begin = number("begin", begin, low=0.0)
        self.rate = number("rate", rate, low=0.0, low_open=True)
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        self.endpoints = tuple(endpoints)
        self.stop = stop
        self.next = 0
        self.turn = 0

    def on_start(self, ctx):
        ctx.set_timer("arrive", self.begin + ctx.rng.expovariate(self.rate))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Endpoints):
            self.endpoints = msg.pairs
        elif isinstance(msg, WorkDone):
            ctx.cancel_timer(("timeout", msg.request))
            ctx.observe("request", (msg.request, msg.ok))

    def on_timer(self, ctx, name):
        if name == "arrive":
            if self.stop is not None and ctx.now >= self.stop:
                return
            self.next += 1
            if not self.endpoints:
                ctx.observe("request", (self.next, False))
            else:
                replica, worker = self.endpoints[self.turn % len(self.endpoints)]
                self.turn += 1
                ctx.send(worker, WorkRequest(self.next, replica))
                ctx.set_timer(("timeout", self.next), self.timeout)
            ctx.set_timer("arrive", ctx.rng.expovariate(self.rate))
        else:
            ctx.observe("request", (name[1], False))


def healing_scenario(workers: int = 5, desired: int = 3, loop: bool = True, failures=(), duration: float = 300.0,
                     interval: float = 1.0, fall: int = 3, rise: int = 2, startup: float = 2.0, rate: float = 20.0,
                     timeout: float = 0.5, latency: float = 0.002, flaky=None, flaky_loss: float = 0.2) -> Scenario:
    """Workers, a client and (with ``loop``) a controller, under a failure schedule.

    Parameters
    ----------
    workers, desired : int
        Machines w0, w1... and replicas r0, r1... wanted (1 <= desired <= workers).
    loop : bool
        Run the reconciliation loop (a :class:`Controller`), or let each worker start its own
        replicas at boot with a client that keeps its first endpoints.
    failures : sequence of Crash
        Crashes of workers (see :func:`failure_schedule`).
    interval, fall, rise : the controller's tick and hysteresis
    startup : float
        Seconds from StartReplica to a ready replica.
    rate, timeout : float
        The client's requests per second and its wait for an answer.
    flaky : str, optional
        A worker whose links to and from the controller lose ``flaky_loss`` of the messages: its
        health checks fail now and then although it runs fine.
    """
    n = positive_int("workers", workers, low=1, high=100)
    desired = positive_int("desired", desired, low=1, high=n)
    duration = number("duration", duration, low=0.0, low_open=True)
    if not isinstance(loop, bool):
        raise TypeError(f"loop must be True or False, got {loop!r}")
    names = [_worker_name(i) for i in range(n)]
    for f in failures:
        if not isinstance(f, Crash) or f.node not in names:
            raise ValueError(f"failures must be Crash faults of the workers {names}, got {f!r}")
    if flaky is not None and flaky not in names:
        raise ValueError(f"flaky must be one of the workers {names} or None, got {flaky!r}")
    probability("flaky_loss", flaky_loss)
    placement = {_replica_name(i): names[i % n] for i in range(desired)}
    # the client starts once the first replicas are up (and, with the loop, announced)
    begin = number("startup", startup, low=0.0) + 2 * number("interval", interval, low=0.0, low_open=True) + 0.5
    node_params = {HEALING_CLIENT: {"rate": rate, "timeout": timeout, "stop": duration, "begin": begin,
                                    "endpoints": tuple(sorted(placement.items()))}}
    protocol = {HEALING_CLIENT: HealingClient}
    for w in names:
        protocol[w] = Worker
        node_params[w] = {"startup": startup, "initial": () if loop else tuple(r for r, v in placement.items()
                                                                              if v == w)}
    nodes = [HEALING_CLIENT] + names
    links = {}
    if loop:
        Controller(CONTROLLER, workers=names, desired=desired, interval=interval, fall=fall, rise=rise)  # validates
        nodes.append(CONTROLLER)
        protocol[CONTROLLER] = Controller
        node_params[CONTROLLER] = {"workers": tuple(names), "desired": desired, "interval": interval, "fall": fall,
                                   "rise": rise}
        if flaky is not None:
            lossy = LinkModel(latency=latency, loss=flaky_loss)
            links = {(CONTROLLER, flaky): lossy, (flaky, CONTROLLER): lossy}
    return Scenario(protocol, nodes=nodes, node_params=node_params, link=LinkModel(latency=latency), links=links,
                    faults=list(failures), until=duration + 1.0,
                    name="self-healing" if loop else "no reconciliation loop")


def failure_schedule(seed, workers: int = 5, duration: float = 300.0, mtbf: float = 150.0, min_down: float = 20.0,
                     mean_down: float = 30.0) -> list:
    """Seeded machine crashes: per worker, times between failures exponential with mean ``mtbf``,
    each machine down for ``min_down`` plus an exponential time of mean ``mean_down - min_down``.

    Examples
    --------
    >>> failure_schedule(3, workers=2, duration=100.0) == failure_schedule(3, workers=2, duration=100.0)
    True
    """
    rng = numpy_stream(normalize_seed(seed), "failures")
    n = positive_int("workers", workers, low=1)
    duration = number("duration", duration, low=0.0, low_open=True)
    mtbf = number("mtbf", mtbf, low=0.0, low_open=True)
    min_down = number("min_down", min_down, low=0.0)
    mean_down = number("mean_down", mean_down, low=min_down)
    out = []
    for i in range(n):
        t = 0.0
        while True:
            t += float(rng.exponential(mtbf))
            if t >= duration:
                break
            down = min_down + float(rng.exponential(mean_down - min_down)) if mean_down > min_down else min_down
            out.append(Crash(_worker_name(i), at=round(t, 3), until=round(t + down, 3)))
            t += down
    return sorted(out, key=lambda c: (c.at, c.node))


def serving(trace) -> pd.DataFrame:
    """Replicas ready on live workers over time: a step series with columns ``time, serving``.

    A replica ready on two workers at once counts once.
    """
    ready: dict = {}
    points = [(0.0, 0)]

    def count():
        return len(set().union(*ready.values())) if ready else 0

    for t, kind, node, _p, _m, key, value in trace.rows:
        if kind == "observe" and key == "ready":
            ready[node] = set(value)
        elif kind == "crash" and node in ready:
            ready[node] = set()
        else:
            continue
        c = count()
        if points[-1][0] == t:
            points[-1] = (t, c)
        elif points[-1][1] != c:
            points.append((t, c))
    return pd.DataFrame(points, columns=["time", "serving"])


def outages(trace, desired: int, start: float = 5.0) -> pd.DataFrame:
    """The spans (after ``start``, the first start-up) with fewer than ``desired`` replicas serving.

    Columns ``start, end, duration, lowest``; an outage still going on at the end of the run
    ends there.
    """
    desired = positive_int("desired", desired)
    s = serving(trace)
    rows, opened, lowest = [], None, None
    for t, c in zip(s.time, s.serving):
        if t < start:
            continue
        if c < desired and opened is None:
            opened, lowest = t, c
        elif c < desired:
            lowest = min(lowest, c)
        elif opened is not None:
            rows.append((opened, t, t - opened, lowest))
            opened = None
    if opened is not None:
        rows.append((opened, trace.end_time, trace.end_time - opened, lowest))
    return pd.DataFrame(rows, columns=["start", "end", "duration", "lowest"])


def health_flips(trace) -> pd.Series:
    """How many times the controller changed each worker's health state (a Series by worker)."""
    flips = [v[0] for _t, kind, _n, _p, _m, key, v in trace.rows if kind == "observe" and key == "health"]
    return pd.Series(flips, dtype=object).value_counts().sort_index() if flips else pd.Series(dtype=int)


def healing_report(trace, desired: int) -> dict:
    """``mttr`` (mean outage, s; 0 without outages), ``outages``, ``downtime`` (s), ``requests``,
    ``failed`` (requests), ``flips``, ``reschedules``, ``restarts`` and ``endpoint_changes`` of a run."""
    out = outages(trace, desired)
    counts = {"request": [], "health": 0, "reschedule": 0, "restart": 0, "endpoints": 0}
    for _t, kind, _n, _p, _m, key, v in trace.rows:
        if kind != "observe":
            continue
        if key == "request":
            counts["request"].append(v[1])
        elif key in counts:
            counts[key] += 1
    req = np.array(counts["request"], dtype=bool)
    return {"mttr": float(out.duration.mean()) if len(out) else 0.0, "outages": len(out),
            "downtime": float(out.duration.sum()), "requests": int(len(req)), "failed": int((~req).sum()),
            "flips": counts["health"], "reschedules": counts["reschedule"], "restarts": counts["restart"],
            "endpoint_changes": counts["endpoints"]}

"""Bulkheads (隔离舱) and degradation (降级): one slow dependency must not sink the whole service.

A :class:`Gateway` serves two endpoints, each backed by its own dependency: ``/report`` calls
``reports`` and ``/checkout`` calls ``payments``. A call holds a worker of the gateway until the
dependency answers (or the call times out). With ``pools="shared"`` both endpoints draw from one
pool of ``workers``; with ``pools="separate"`` each has its own half (a bulkhead, as Hystrix's
thread pool per dependency or resilience4j's ``Bulkhead``). A request that finds its pool busy
waits in the pool's queue; one that waited ``patience`` seconds has been given up by its user
(``timeout``). With ``degrade=True`` it is answered at once with a fallback instead (a cached or
default answer: worse, but an answer).

When ``reports`` turns slow (a :class:`~dsysedu.systems.resilience.overload.QueueServer` with a
``slow`` window), its calls pile up in the gateway. Shared, they take every worker and checkout
fails too; separate, checkout keeps its workers and stays up.

Observes on the gateway ``served`` ``(endpoint, outcome)`` per request, outcome ``ok``,
``timeout`` or ``fallback``.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int
from .overload import QueueServer, Reply, Request

__all__ = ["ENDPOINTS", "Gateway", "EndpointTraffic", "bulkhead_scenario", "endpoint_table"]

#: endpoint -> the dependency it calls
ENDPOINTS = {"/checkout": "payments", "/report": "reports"}


@dataclass(frozen=True)
class Hit:
    """A user's request for ``endpoint``."""
    endpoint: str


class EndpointTraffic(Node):
    """Users: Poisson requests at ``rates[endpoint]`` per second to the gateway."""
    state_fields = ()

    def __init__(self, node_id, peers=(), gateway="gateway", rates=None):
        super().__init__(node_id, peers)
        self.gateway = gateway
        self.rates = dict(rates or {"/checkout": 20.0, "/report": 20.0})
        for e, r in self.rates.items():
            if e not in ENDPOINTS:
                raise ValueError(f"rates names an unknown endpoint {e!r}; endpoints are {sorted(ENDPOINTS)}")
            number(f"rates[{e!r}]", r, low=0.0, low_open=True)

    def on_start(self, ctx):
        for e in sorted(self.rates):
            ctx.set_timer(("hit", e), ctx.rng.expovariate(self.rates[e]))

    def on_timer(self, ctx, name):
        _, e = name
        ctx.send(self.gateway, Hit(e))
        ctx.set_timer(name, ctx.rng.expovariate(self.rates[e]))


class Gateway(Node):
    """Serves the endpoints with a worker per call in flight, from one shared pool or one pool each.

    Parameters
    ----------
    workers : int
        Workers in all (split evenly between endpoints when ``pools="separate"``).
    pools : {"shared", "separate"}
    timeout : float
        Seconds a call to a dependency may hold a worker.
    patience : float
        Seconds a user waits for a worker before giving up.
    degrade : bool
        Answer with a fallback instead of queueing when the pool is busy.
    """
    state_fields = ("busy", "next_rid", "waiting")

    def __init__(self, node_id, peers=(), workers=20, pools="shared", timeout=5.0, patience=1.0, degrade=False):
        super().__init__(node_id, peers)
        positive_int("workers", workers, low=2, high=100_000)
        if pools not in ("shared", "separate"):
            raise ValueError(f"pools must be 'shared' or 'separate', got {pools!r}")
        self.pools = pools
        self.size = {"shared": workers} if pools == "shared" else {e: workers // 2 for e in ENDPOINTS}
        self.busy = {p: 0 for p in self.size}
        self.waiting = {p: deque() for p in self.size}     # (endpoint, arrival time)
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        self.patience = number("patience", patience, low=0.0, low_open=True)
        self.degrade = bool(degrade)
        self.next_rid = 0
        self.calls = {}          # rid -> endpoint

    def pool(self, endpoint) -> str:
        return "shared" if self.pools == "shared" else endpoint

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Hit):
            p = self.pool(msg.endpoint)
            if self.busy[p] < self.size[p]:
                self.call(ctx, p, msg.endpoint)
            elif self.degrade:
                ctx.observe("served", (msg.endpoint, "fallback"))
            else:
                self.waiting[p].append((msg.endpoint, ctx.now))
        elif isinstance(msg, Reply) and msg.rid in self.calls:
            ctx.cancel_timer(("timeout", msg.rid))
            self.end(ctx, msg.rid, "ok")

    def on_timer(self, ctx, name):
        if name[0] == "timeout" and name[1] in self.calls:
            self.end(ctx, name[1], "fallback" if self.degrade else "timeout")

    def call(self, ctx, pool, endpoint) -> None:
        self.busy[pool] += 1
        self.next_rid += 1
        self.calls[self.next_rid] = endpoint
        ctx.send(ENDPOINTS[endpoint], Request(self.next_rid))
        ctx.set_timer(("timeout", self.next_rid), self.timeout)

    def end(self, ctx, rid, outcome) -> None:
        endpoint = self.calls.pop(rid)
        p = self.pool(endpoint)
        self.busy[p] -= 1
        ctx.observe("served", (endpoint, outcome))
        while self.waiting[p]:                  # the freed worker takes the oldest request still wanted
            waiter, since = self.waiting[p].popleft()
            if ctx.now - since < self.patience:
                self.call(ctx, p, waiter)
                break
            ctx.observe("served", (waiter, "timeout"))


def bulkhead_scenario(pools: str = "shared", degrade: bool = False, workers: int = 20, rate: float = 20.0,
                      slow=(5.0, 15.0, 100.0), timeout: float = 5.0, patience: float = 1.0,
                      until: float = 20.0) -> Scenario:
    """Users at ``rate`` per second on each endpoint, a gateway, and the two dependencies
    (8 workers each, 10 ms per call); ``reports`` is ``slow``'s factor slower in its window.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> t = endpoint_table(run(bulkhead_scenario("separate"), seed=1), since=7.0, until=15.0)
    >>> float(t.loc["/checkout", "ok"])
    1.0
    """
    dep = {"workers": 8, "service": 0.01, "sample_every": 0.0}
    return Scenario({"users": EndpointTraffic, "gateway": Gateway, "payments": QueueServer, "reports": QueueServer},
                    nodes=["users", "gateway", "payments", "reports"],
                    node_params={"users": {"rates": {"/checkout": rate, "/report": rate}},
                                 "gateway": {"workers": workers, "pools": pools, "timeout": timeout,
                                             "patience": patience, "degrade": degrade},
                                 "payments": dep, "reports": {**dep, "slow": slow}},
                    link=LinkModel(latency=0.002), until=until,
                    name=f"gateway, {pools} pool{'s' if pools == 'separate' else ''}"
                         f"{', degrading' if degrade else ''}")


def endpoint_table(trace, since: float = 0.0, until: float | None = None):
    """Share of each endpoint's requests per outcome, for requests answered in ``[since, until)``:
    a DataFrame, one row per endpoint."""
    import pandas as pd
    until = trace.end_time if until is None else until
    rows = [e.value for e in trace.events if e.kind == "observe" and e.data == "served" and since <= e.time < until]
    df = pd.DataFrame(rows, columns=["endpoint", "outcome"])
    table = pd.crosstab(df["endpoint"], df["outcome"], normalize="index")
    for col in ("ok", "fallback", "timeout"):
        if col not in table:
            table[col] = 0.0
    return table[["ok", "fallback", "timeout"]]

"""Servers with queues, callers with timeouts and retries: overload, retry storms and load shedding.

:class:`QueueServer` has ``workers`` that each serve one request at a time (service times
exponential with mean ``service``), and a FIFO queue. With a ``queue_limit`` it *sheds* load
(削峰/限流): a request that finds the queue full is answered :class:`Reply` ``shed`` at once,
without work. During a ``slow`` window ``(start, end, factor)`` every service takes ``factor``
times as long (a capacity drop: the trigger of a metastable failure).

:class:`Caller` is an open-loop source of requests (Poisson arrivals at ``rate`` per second)
that sends each to a target and gives up on an attempt after ``timeout`` seconds. It retries a
timed-out or shed attempt up to ``retries`` times, after a sleep chosen by a
:mod:`~dsysedu.systems.resilience.backoff` policy, and (with ``retry_budget``) only while its
token bucket holds a token: each new request adds ``retry_budget`` tokens (at most 10), each
retry spends one, so retries stay under that share of the requests (Finagle's ``RetryBudget``,
gRPC's retry throttling). With ``breaker=(threshold, cooldown)`` a target that failed
``threshold`` times in a row is left alone for ``cooldown`` seconds (a breaker per target, as
Envoy's outlier detection ejects a host); a request with no target left fails fast
(``refused``).

Each request ends in one ``request`` observation ``(rid, start, latency, outcome, attempts)``,
``outcome`` one of ``ok``, ``timeout``, ``shed``, ``refused``. Servers observe ``service`` (their
mean service time) at start and ``queue`` (their queue length) every ``sample_every`` seconds;
callers observe ``rate`` at start. :mod:`~dsysedu.systems.resilience.measures` reads them.

A retry storm that outlives its trigger is a *metastable failure* [1]_: :func:`storm_scenario`
builds one (a server at 70 % load, a 2 s capacity drop, clients that retry at once): the
queue's delay passes the timeout, every reply comes too late, each request comes back as
retries, and the load stays above capacity after the trigger is gone, until shedding or a
retry budget cuts the loop.

References
----------
.. [1] N. Bronson, A. Aghayev, A. Charapko, T. Zhu, "Metastable Failures in Distributed
   Systems", HotOS 2021.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int
from .backoff import backoff_sleep, check_backoff

__all__ = ["Request", "Reply", "QueueServer", "Caller", "OUTCOMES", "storm_scenario", "offered_load_scenario",
           "goodput_curve"]

OUTCOMES = ("ok", "timeout", "shed", "refused")
SERVER = "server"


@dataclass(frozen=True)
class Request:
    """Attempt ``attempt`` of request ``rid`` (numbered by its caller)."""
    rid: int
    attempt: int = 0


@dataclass(frozen=True)
class Reply:
    """The answer to an attempt: ``status`` is ``"ok"`` or ``"shed"``."""
    rid: int
    attempt: int
    status: str = "ok"


def _window(name, value):
    if value is None:
        return None
    if not (isinstance(value, (tuple, list)) and len(value) == 3):
        raise ValueError(f"{name} must be None or (start, end, factor), got {value!r}")
    a, b, f = (float(number(f"{name}[{i}]", v, low=0.0)) for i, v in enumerate(value))
    if not a < b:
        raise ValueError(f"{name}: start must be before end, got {value!r}")
    return a, b, f


class QueueServer(Node):
    """Workers and a FIFO queue; sheds when the queue holds ``queue_limit`` requests.

    Parameters
    ----------
    workers : int
        Requests served at once.
    service : float
        Mean service time in seconds (exponential). Capacity: ``workers / service`` per second.
    queue_limit : int or None
        Requests that may wait; one more is shed. None: unbounded.
    slow : (start, end, factor) or None
        Services that start in the window take ``factor`` times longer.
    hiccup : (float, float) or None
        ``(probability, seconds)``: a service takes that much longer with that probability (a
        garbage-collection pause, a flushed cache: the rare slow request of a healthy server).
    sample_every : float
        Seconds between ``queue`` observations (0: none).
    """
    state_fields = ("busy", "queue")

    def __init__(self, node_id, peers=(), workers=1, service=0.01, queue_limit=None, slow=None, hiccup=None,
                 sample_every=0.1):
        super().__init__(node_id, peers)
        self.workers = positive_int("workers", workers, high=10_000)
        self.service = number("service", service, low=0.0, low_open=True)
        if queue_limit is not None:
            positive_int("queue_limit", queue_limit, low=0)
        self.queue_limit = queue_limit
        self.slow = _window("slow", slow)
        if hiccup is not None:
            if not (isinstance(hiccup, (tuple, list)) and len(hiccup) == 2):
                raise ValueError(f"hiccup must be None or (probability, seconds), got {hiccup!r}")
            hiccup = (number("hiccup probability", hiccup[0], low=0.0, high=1.0),
                      number("hiccup seconds", hiccup[1], low=0.0))
        self.hiccup = hiccup
        self.sample_every = number("sample_every", sample_every, low=0.0)
        self.busy = 0
        self.queue = deque()

    def on_start(self, ctx):
        ctx.observe("service", self.service)
        if self.sample_every:
            ctx.set_timer("sample", self.sample_every)

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Request):
            return
        if self.busy < self.workers:
            self.begin(ctx, src, msg)
        elif self.queue_limit is not None and len(self.queue) >= self.queue_limit:
            ctx.send(src, Reply(msg.rid, msg.attempt, "shed"))
        else:
            self.queue.append((src, msg))

    def begin(self, ctx, src, msg) -> None:
        self.busy += 1
        mean = self.service
        if self.slow is not None and self.slow[0] <= ctx.now < self.slow[1]:
            mean *= self.slow[2]
        seconds = ctx.rng.expovariate(1.0 / mean)
        if self.hiccup is not None and ctx.rng.random() < self.hiccup[0]:
            seconds += self.hiccup[1]
        ctx.set_timer(("done", src, msg.rid, msg.attempt), seconds)

    def on_timer(self, ctx, name):
        if name == "sample":
            ctx.observe("queue", len(self.queue))
            ctx.set_timer("sample", self.sample_every)
            return
        _, src, rid, attempt = name
        ctx.send(src, Reply(rid, attempt))
        self.busy -= 1
        if self.queue:
            self.begin(ctx, *self.queue.popleft())


class Caller(Node):
    """Poisson requests to ``targets`` with a timeout, retries, a retry budget and a breaker per target.

    Parameters
    ----------
    targets : sequence of node ids
        Where requests go (:meth:`pick` chooses; here: round robin over the targets not ejected).
    rate : float
        Requests per second.
    stop : float or None
        No new requests after this time.
    timeout : float
        Seconds an attempt may take.
    retries : int
        Retries after a timed-out or shed attempt.
    backoff : str or callable
        A :data:`~dsysedu.systems.resilience.backoff.BACKOFFS` name or a tenacity wait strategy.
    base, cap : float
        Backoff's seconds.
    retry_budget : float or None
        Tokens a new request earns (a retry costs one; at most 10 held). None: no budget.
    breaker : (int, float) or None
        ``(threshold, cooldown)``: failures in a row that eject a target, seconds it stays out.
    """
    state_fields = ("next_rid", "tokens")

    def __init__(self, node_id, peers=(), targets=(SERVER,), rate=50.0, stop=None, timeout=1.0, retries=0,
                 backoff="none", base=0.01, cap=1.0, retry_budget=None, breaker=None):
        super().__init__(node_id, peers)
        self.targets = tuple(sorted(targets))
        if not self.targets:
            raise ValueError("targets must name at least one server")
        self.rate = number("rate", rate, low=0.0, low_open=True)
        self.stop = None if stop is None else number("stop", stop, low=0.0)
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        self.retries = positive_int("retries", retries, low=0, high=100)
        check_backoff(backoff)
        self.backoff, self.base, self.cap = backoff, number("base", base, low=0.0), number("cap", cap, low=0.0)
        self.retry_budget = None if retry_budget is None else number("retry_budget", retry_budget, low=0.0)
        if breaker is not None:
            if not (isinstance(breaker, (tuple, list)) and len(breaker) == 2):
                raise ValueError(f"breaker must be None or (threshold, cooldown), got {breaker!r}")
            breaker = (positive_int("breaker threshold", breaker[0]), number("breaker cooldown", breaker[1], low=0.0))
        self.breaker = breaker
        self.next_rid = 0
        self.tokens = 0.0
        self.pending = {}        # rid -> [start, attempts made, last sleep]
        self.out = {}            # (rid, attempt) -> (target, time sent)
        self.in_flight = {t: 0 for t in self.targets}
        self.failures = {t: 0 for t in self.targets}
        self.ejected_until = {t: -1.0 for t in self.targets}
        self.turn = 0

    # -- arrivals ---------------------------------------------------------------------------------
    def on_start(self, ctx):
        ctx.observe("rate", self.rate)
        ctx.set_timer("arrive", ctx.rng.expovariate(self.rate))

    def on_timer(self, ctx, name):
        if name == "arrive":
            if self.stop is not None and ctx.now >= self.stop:
                return
            self.next_rid += 1
            rid = self.next_rid
            self.pending[rid] = [ctx.now, 0, self.base]
            if self.retry_budget is not None:
                self.tokens = min(10.0, self.tokens + self.retry_budget)
            self.attempt(ctx, rid)
            ctx.set_timer("arrive", ctx.rng.expovariate(self.rate))
        elif name[0] == "timeout":
            _, rid, attempt = name
            sent = self.out.pop((rid, attempt), None)
            if sent is not None:
                self.settle(ctx, sent[0], False, ctx.now - sent[1])
                self.failed(ctx, rid, "timeout")
        elif name[0] == "retry":
            if name[1] in self.pending:
                self.attempt(ctx, name[1])
        else:
            self.on_other_timer(ctx, name)

    def on_other_timer(self, ctx, name) -> None:
        """Timers of a subclass."""

    # -- attempts ---------------------------------------------------------------------------------
    def available(self, now) -> list:
        """The targets not ejected by their breaker."""
        return [t for t in self.targets if self.ejected_until[t] <= now]

    def pick(self, ctx, rid, choices):
        """The target of the next attempt, from ``choices`` (a non-empty sorted list)."""
        self.turn += 1
        return choices[self.turn % len(choices)]

    def attempt(self, ctx, rid, avoid=None) -> bool:
        """Send the next attempt of ``rid`` (False: no target left, the request failed fast)."""
        choices = self.available(ctx.now)
        if avoid is not None and len(choices) > 1:
            choices = [t for t in choices if t != avoid]
        if not choices:
            self.finish(ctx, rid, "refused")
            return False
        p = self.pending[rid]
        target = self.pick(ctx, rid, choices)
        attempt = p[1]
        p[1] += 1
        self.out[(rid, attempt)] = (target, ctx.now)
        self.in_flight[target] += 1
        ctx.send(target, Request(rid, attempt))
        ctx.set_timer(("timeout", rid, attempt), self.timeout)
        return True

    def on_message(self, ctx, src, msg):
        if not isinstance(msg, Reply):
            return
        sent = self.out.pop((msg.rid, msg.attempt), None)
        if sent is None:
            return                            # too late: that attempt timed out (wasted work)
        ctx.cancel_timer(("timeout", msg.rid, msg.attempt))
        ok = msg.status == "ok"
        self.settle(ctx, sent[0], ok, ctx.now - sent[1])
        if msg.rid not in self.pending:
            return                            # a hedge's twin answered first
        if ok:
            self.finish(ctx, msg.rid, "ok")
        else:
            self.failed(ctx, msg.rid, msg.status)

    def settle(self, ctx, target, ok, seconds) -> None:
        """An attempt to ``target`` ended after ``seconds`` (ok or not): in-flight count, breaker."""
        self.in_flight[target] -= 1
        if self.breaker is None:
            return
        self.failures[target] = 0 if ok else self.failures[target] + 1
        if self.failures[target] >= self.breaker[0]:
            self.failures[target] = 0
            self.ejected_until[target] = ctx.now + self.breaker[1]
            ctx.observe("ejected", target)

    def failed(self, ctx, rid, why) -> None:
        """An attempt of ``rid`` failed: retry it, or end it."""
        p = self.pending.get(rid)
        if p is None or (self.concurrent_attempts and any(k[0] == rid for k in self.out)):
            return                            # ended already, or a twin attempt is still out
        if p[1] > self.retries:
            self.finish(ctx, rid, why)
            return
        if self.retry_budget is not None:
            if self.tokens < 1.0:
                self.finish(ctx, rid, why)
                return
            self.tokens -= 1.0
        p[2] = backoff_sleep(self.backoff, p[1] - 1, p[2], ctx.rng, self.base, self.cap)
        if p[2] > 0:
            ctx.set_timer(("retry", rid), p[2])
        else:
            self.attempt(ctx, rid)

    #: True in subclasses that send two attempts of one request at once (hedging)
    concurrent_attempts = False

    def finish(self, ctx, rid, outcome) -> None:
        start, attempts, _ = self.pending.pop(rid)
        ctx.observe("request", (rid, start, ctx.now - start, outcome, attempts))


# -- scenarios ------------------------------------------------------------------------------------

def storm_scenario(remedy: str = "none", rate: float = 70.0, service: float = 0.01, timeout: float = 0.3,
                   retries: int = 3, slow=(5.0, 7.0, 3.0), until: float = 30.0) -> Scenario:
    """A metastable retry storm: one server (capacity 1 / ``service``), one caller at ``rate``.

    ``remedy``: ``"none"`` (retry at once), ``"shedding"`` (the server's queue holds what it can
    serve within half the timeout) or ``"budget"`` (retries at most 10 % of requests).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.systems.resilience.measures import traffic_summary
    >>> s = traffic_summary(run(storm_scenario(), seed=1), since=20.0)
    >>> s["goodput"] < 10        # long after the trigger: still (almost) nothing answered in time
    True
    """
    if remedy not in ("none", "shedding", "budget"):
        raise ValueError(f"remedy must be 'none', 'shedding' or 'budget', got {remedy!r}")
    server = {"service": service, "slow": slow}
    if remedy == "shedding":
        server["queue_limit"] = max(1, int(0.5 * timeout / service))
    caller = {"targets": (SERVER,), "rate": rate, "timeout": timeout, "retries": retries,
              "retry_budget": 0.1 if remedy == "budget" else None}
    return Scenario({"client": Caller, SERVER: QueueServer}, nodes=["client", SERVER],
                    node_params={"client": caller, SERVER: server}, link=LinkModel(latency=0.001),
                    until=until, name=f"retry storm ({remedy})")


def offered_load_scenario(rate: float, shedding: bool, service: float = 0.01, timeout: float = 0.5,
                          until: float = 20.0) -> Scenario:
    """One server (capacity 1 / ``service``) under Poisson load ``rate``, no retries; with or
    without shedding (a queue limit of half a timeout's worth of work)."""
    server = {"service": service, "queue_limit": max(1, int(0.5 * timeout / service)) if shedding else None}
    return Scenario({"client": Caller, SERVER: QueueServer}, nodes=["client", SERVER],
                    node_params={"client": {"rate": rate, "timeout": timeout}, SERVER: server},
                    link=LinkModel(latency=0.001), until=until,
                    name=f"offered load {rate:g}/s ({'shedding' if shedding else 'no shedding'})")


def goodput_curve(rates=(25, 50, 75, 100, 125, 150, 200, 300), seeds=range(2), service: float = 0.01,
                  until: float = 20.0):
    """Goodput against offered load, with and without shedding: a long DataFrame with columns
    ``offered``, ``shedding`` ("shedding" or "no shedding"), ``seed``, ``goodput`` and ``p99`` (after a 5 s
    warm-up)."""
    import pandas as pd
    from dsysedu.sim.kernel import run
    from .measures import traffic_summary
    rows = []
    for rate in rates:
        for shedding in (False, True):
            for seed in seeds:
                s = traffic_summary(run(offered_load_scenario(float(rate), shedding, service=service, until=until),
                                        seed=seed), since=5.0)
                rows.append((rate, "shedding" if shedding else "no shedding", seed, s["goodput"], s["p99"]))
    return pd.DataFrame(rows, columns=["offered", "shedding", "seed", "goodput", "p99"])

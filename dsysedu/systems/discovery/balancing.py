"""Load balancing (负载均衡): which backend gets the next request.

A :class:`Balancer` is a :class:`~dsysedu.systems.resilience.overload.Caller` (Poisson requests,
timeouts, retries, a breaker per backend) that picks a backend by a *policy*:

====================  ==========================================================================
``round_robin``       the next backend in turn
``random``            one backend uniformly at random
``least_connections`` the backend with the fewest requests in flight (ties: random)
``p2c``               the power of two choices: two backends at random, the one with fewer in
                      flight [1]_
``peak_ewma``         two at random, the one with the lower ``ewma * (in flight + 1)``, where
                      ``ewma`` follows each response time, jumps up to a slower one at once and
                      decays back with time constant ``tau`` (Finagle's and linkerd's
                      latency-aware balancer [2]_)
====================  ==========================================================================

With ``hedge_after`` (seconds) a request still unanswered then is sent a second time, to
another backend; the first answer wins (a *hedged request*, Dean and Barroso [3]_).

Where the choice is made: :func:`balancing_scenario` builds the three layouts. ``client``:
every client balances on its own, seeing only its own requests in flight (gRPC, Ribbon);
``proxy``: clients send to one :class:`Proxy` that balances for all of them (nginx, HAProxy,
Envoy in front of a service); ``tier``: a dedicated tier of several proxies, each client
sticking to one, each proxy seeing only its share (a cloud load balancer). A proxy costs a
hop each way.

References
----------
.. [1] M. Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE TPDS 12(10), 2001.
.. [2] Twitter Finagle, ``Balancers.aperturePeakEwma`` / ``p2cPeakEwma``; linkerd's "EWMA" balancer.
.. [3] J. Dean, L. A. Barroso, "The Tail at Scale", Communications of the ACM 56(2), 2013.
"""
from __future__ import annotations

import math

from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int
from dsysedu.systems.resilience.overload import Caller, QueueServer, Reply, Request

__all__ = ["POLICIES", "LAYOUTS", "choose", "Balancer", "Proxy", "balancing_scenario", "backend_names", "policy_table",
           "hedging_table"]

POLICIES = ("round_robin", "random", "least_connections", "p2c", "peak_ewma")
LAYOUTS = ("client", "proxy", "tier")


def _check_policy(policy) -> None:
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")


def choose(policy, choices, in_flight, rng, turn=0, cost=None):
    """The backend ``policy`` picks from ``choices`` (sorted).

    Parameters
    ----------
    in_flight : dict backend -> int
    rng : random.Random
    turn : int
        A counter for round robin.
    cost : dict backend -> float, optional
        Peak-EWMA latency estimates.

    Examples
    --------
    >>> import random
    >>> choose("least_connections", ["a", "b", "c"], {"a": 2, "b": 0, "c": 1}, random.Random(0))
    'b'
    >>> choose("round_robin", ["a", "b", "c"], {}, random.Random(0), turn=4)
    'b'
    """
    if policy == "round_robin":
        return choices[turn % len(choices)]
    if policy == "random":
        return choices[rng.randrange(len(choices))]
    if policy == "least_connections":
        low = min(in_flight[c] for c in choices)
        best = [c for c in choices if in_flight[c] == low]
        return best[rng.randrange(len(best))]
    if len(choices) == 1:
        return choices[0]
    a, b = rng.sample(choices, 2)
    if policy == "p2c":
        return a if in_flight[a] <= in_flight[b] else b
    if policy == "peak_ewma":
        ca, cb = cost[a] * (in_flight[a] + 1), cost[b] * (in_flight[b] + 1)
        return a if ca <= cb else b
    raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")


class _Picking:
    """The policy and its bookkeeping, shared by the client-side Balancer and the Proxy."""

    def init_policy(self, policy, targets, tau):
        _check_policy(policy)
        self.policy = policy
        self.tau = number("tau", tau, low=0.0, low_open=True)
        self.ewma = {t: 0.0 for t in targets}      # 0: no response yet (tried first)
        self.stamp = {t: 0.0 for t in targets}

    def cost(self, now) -> dict:
        """Peak-EWMA response-time estimates (0: no response yet, so tried first)."""
        return self.ewma

    def observe_rtt(self, now, target, seconds) -> None:
        old = self.ewma[target]
        # peak-sensitive: a slower response replaces the estimate at once; a faster one is
        # averaged in with a weight that grows with the time since the last one (as tower's PeakEwma)
        w = math.exp(-(now - self.stamp[target]) / self.tau)
        self.ewma[target] = seconds if seconds > old else old * w + seconds * (1 - w)
        self.stamp[target] = now


class Balancer(_Picking, Caller):
    """A client that balances its own requests over ``targets`` by ``policy`` (see the module).

    Parameters
    ----------
    policy : str
        One of :data:`POLICIES`.
    hedge_after : float or None
        Seconds after which an unanswered request is sent again, to another backend.
    tau : float
        Peak-EWMA's decay time constant in seconds.
    **caller
        :class:`~dsysedu.systems.resilience.overload.Caller`'s parameters (rate, timeout, retries, ...).
    """

    def __init__(self, node_id, peers=(), policy="round_robin", hedge_after=None, tau=1.0, **caller):
        Caller.__init__(self, node_id, peers, **caller)
        self.init_policy(policy, self.targets, tau)
        self.hedge_after = None if hedge_after is None else number("hedge_after", hedge_after, low=0.0, low_open=True)
        self.concurrent_attempts = hedge_after is not None

    def pick(self, ctx, rid, choices):
        self.turn += 1
        return choose(self.policy, choices, self.in_flight, ctx.rng, self.turn,
                      self.cost(ctx.now) if self.policy == "peak_ewma" else None)

    def attempt(self, ctx, rid, avoid=None) -> bool:
        sent = Caller.attempt(self, ctx, rid, avoid)
        if sent and self.hedge_after is not None and self.pending[rid][1] == 1:
            ctx.set_timer(("hedge", rid), self.hedge_after)
        return sent

    def on_other_timer(self, ctx, name) -> None:
        if name[0] == "hedge" and name[1] in self.pending:
            first = next(((t, s) for (r, _a), (t, s) in self.out.items() if r == name[1]), None)
            if first is not None:
                ctx.observe("hedge", name[1])
                Caller.attempt(self, ctx, name[1], avoid=first[0])

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Reply) and msg.rid in self.pending and self.concurrent_attempts:
            twins = [k for k in self.out if k[0] == msg.rid and k[1] != msg.attempt]
            Caller.on_message(self, ctx, src, msg)
            if msg.rid not in self.pending:        # answered: the twin's answer will be ignored
                for k in twins:
                    target, sent = self.out.pop(k)
                    ctx.cancel_timer(("timeout", *k))
                    self.in_flight[target] -= 1
            return
        Caller.on_message(self, ctx, src, msg)

    def settle(self, ctx, target, ok, seconds) -> None:
        Caller.settle(self, ctx, target, ok, seconds)
        if self.policy == "peak_ewma":
            self.observe_rtt(ctx.now, target, seconds)


class Proxy(_Picking, Node):
    """A balancer in the path (server side, or one of a dedicated tier): forwards each request to
    a backend chosen by ``policy`` and relays the reply. It sees every request that passes it.

    Parameters
    ----------
    targets : sequence of node ids
    policy : str
    tau : float
    """
    state_fields = ("turn", "next_id")

    def __init__(self, node_id, peers=(), targets=(), policy="round_robin", tau=1.0):
        super().__init__(node_id, peers)
        self.targets = tuple(sorted(targets))
        if not self.targets:
            raise ValueError("targets must name at least one backend")
        self.init_policy(policy, self.targets, tau)
        self.in_flight = {t: 0 for t in self.targets}
        self.turn = 0
        self.next_id = 0
        self.relay = {}          # our id -> (client, rid, attempt, backend, time sent)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Request) and src not in self.in_flight:
            self.turn += 1
            self.next_id += 1
            backend = choose(self.policy, list(self.targets), self.in_flight, ctx.rng, self.turn,
                             self.cost(ctx.now) if self.policy == "peak_ewma" else None)
            self.in_flight[backend] += 1
            self.relay[self.next_id] = (src, msg.rid, msg.attempt, backend, ctx.now)
            ctx.send(backend, Request(self.next_id))
        elif isinstance(msg, Reply) and msg.rid in self.relay:
            client, rid, attempt, backend, sent = self.relay.pop(msg.rid)
            self.in_flight[backend] -= 1
            self.observe_rtt(ctx.now, backend, ctx.now - sent)
            ctx.send(client, Reply(rid, attempt, msg.status))


def backend_names(n: int) -> list:
    """``["b00", "b01", ...]``."""
    return [f"b{i:02d}" for i in range(n)]


def balancing_scenario(policy="round_robin", layout="client", backends: int = 10, clients: int = 4,
                       proxies: int = 2, rate: float = 400.0, service: float = 0.02, workers: int = 1,
                       slow: int = 1, slow_factor: float = 10.0, hop: float = 0.0005, timeout: float = 2.0,
                       retries: int = 0, backoff="none", retry_budget=None, breaker=None, queue_limit=None,
                       hedge_after=None, hiccup=None, until: float = 10.0, sample_every: float = 0.1) -> Scenario:
    """``clients`` sending ``rate`` requests per second in all to ``backends`` servers, ``slow`` of
    them ``slow_factor`` times slower, balanced by ``policy`` in ``layout``.

    Parameters
    ----------
    policy : str
        One of :data:`POLICIES`.
    layout : {"client", "proxy", "tier"}
        Who balances (see the module docstring); ``proxies`` sets the tier's size.
    service, workers, queue_limit
        Each backend's mean service time, workers and queue limit
        (:class:`~dsysedu.systems.resilience.overload.QueueServer`).
    hiccup : (float, float) or None
        Each backend's rare slow service ``(probability, extra seconds)``.
    hop : float
        One-way network latency in seconds.
    timeout, retries, backoff, retry_budget, breaker
        The clients' (:class:`~dsysedu.systems.resilience.overload.Caller`).
    hedge_after : float or None
        Client-side only.

    Raises
    ------
    ValueError
        For an unknown policy or layout, hedging through a proxy, or bad counts.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.systems.resilience.measures import traffic_summary
    >>> s = traffic_summary(run(balancing_scenario("p2c", backends=4, rate=100.0, until=3.0), seed=1))
    >>> s["ok"] == s["requests"]
    True
    """
    _check_policy(policy)
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    positive_int("backends", backends, high=1000)
    positive_int("clients", clients, high=1000)
    positive_int("proxies", proxies, high=100)
    positive_int("slow", slow, low=0, high=backends)
    number("slow_factor", slow_factor, low=1.0)
    if hedge_after is not None and layout != "client":
        raise ValueError("hedged requests are sent by the clients: use layout='client'")
    servers = backend_names(backends)
    client_ids = [f"c{i:02d}" for i in range(clients)]
    proxy_ids = [] if layout == "client" else ["p00"] if layout == "proxy" else [f"p{i:02d}" for i in range(proxies)]
    protocol, params = {}, {}
    for k, b in enumerate(servers):
        protocol[b] = QueueServer
        params[b] = {"workers": workers, "service": service * (slow_factor if k < slow else 1.0),
                     "queue_limit": queue_limit, "hiccup": hiccup, "sample_every": sample_every}
    caller = {"rate": rate / clients, "timeout": timeout, "retries": retries, "backoff": backoff,
              "retry_budget": retry_budget, "breaker": breaker}
    for k, c in enumerate(client_ids):
        if layout == "client":
            protocol[c] = Balancer
            params[c] = {**caller, "targets": servers, "policy": policy, "hedge_after": hedge_after}
        else:
            protocol[c] = Caller
            params[c] = {**caller, "targets": (proxy_ids[k % len(proxy_ids)],)}
    for p in proxy_ids:
        protocol[p] = Proxy
        params[p] = {"targets": servers, "policy": policy}
    return Scenario(protocol, nodes=[*client_ids, *proxy_ids, *servers], node_params=params,
                    link=LinkModel(latency=hop), until=until,
                    name=f"{policy} ({layout}-side), {backends} backends, {slow} slow")


def policy_table(seed=0, layouts=LAYOUTS, policies=POLICIES, until: float = 20.0, **scenario):
    """p50, p99 and p99.9 latency (ms, after a 2 s warm-up) per policy (rows) and layout (columns),
    from one run each of :func:`balancing_scenario` with ``scenario``'s settings (default: 10
    backends, one 10 times slower, 250 requests per second).

    Examples
    --------
    >>> t = policy_table(seed=1, layouts=("client",), policies=("random", "p2c"), until=4.0)
    >>> list(t.columns)
    [('client', 'p50'), ('client', 'p99'), ('client', 'p99.9')]
    """
    import pandas as pd
    from dsysedu.sim.kernel import run
    from dsysedu.systems.resilience.measures import traffic_summary
    scenario.setdefault("rate", 250.0)
    rows = {}
    for policy in policies:
        for layout in layouts:
            s = traffic_summary(run(balancing_scenario(policy, layout, until=until, **scenario), seed=seed), since=2.0)
            for q in ("p50", "p99", "p99.9"):
                rows.setdefault(policy, {})[(layout, q)] = round(1000 * s[q], 1)
    return pd.DataFrame(rows).T.rename_axis("policy")


def hedging_table(delays=(None, 0.01, 0.02, 0.05, 0.1), seed=0, until: float = 20.0, **scenario):
    """Tail latency (ms) and extra load (%) per hedging delay (None: no hedging), on backends of
    4 workers whose services take 5 ms, and 500 ms more one time in a hundred (a pause).

    Examples
    --------
    >>> t = hedging_table((None, 0.02), seed=1, until=4.0)
    >>> float(t.loc["never", "extra load (%)"])
    0.0
    """
    import pandas as pd
    from dsysedu.sim.kernel import run
    from dsysedu.systems.resilience.measures import traffic_summary
    common = dict(policy="random", rate=150.0, slow=0, service=0.005, workers=4, hiccup=(0.01, 0.5))
    common.update(scenario)
    rows = {}
    for d in delays:
        s = traffic_summary(run(balancing_scenario(hedge_after=d, until=until, **common), seed=seed), since=2.0)
        rows["never" if d is None else f"{1000 * d:g} ms"] = {
            "hedge after (ms)": float("nan") if d is None else 1000 * d,
            "p50 (ms)": round(1000 * s["p50"], 1), "p99 (ms)": round(1000 * s["p99"], 1),
            "p99.9 (ms)": round(1000 * s["p99.9"], 1),
            "extra load (%)": round(100 * (s["attempts per request"] - 1), 2)}
    return pd.DataFrame(rows).T.rename_axis("hedge")

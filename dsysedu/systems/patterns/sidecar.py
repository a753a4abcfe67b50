"""Sidecar and ambassador (边车, 大使): the same service code, with the network's troubles handled beside it.

An :class:`AppService` makes a call to the inventory every ``every`` seconds: it sends a
:class:`Request` to one address, its ``outbound``, and records the :class:`Response`. That is
all its code does: no timeout, no retry, no idea where the inventory runs. Three deployments
of the very same class differ only in what ``outbound`` names:

``plain``
    a fixed inventory instance, straight over the lossy network;
``sidecar``
    a :class:`Sidecar` process beside it (a loss-free local link) that adds a timeout and
    retries, like Envoy or Linkerd's proxy in a service mesh, still to the fixed instance;
``ambassador``
    an :class:`Ambassador` beside it that also does *discovery*: it asks the :class:`Registry`
    which instances are alive (instances send :class:`Alive` heartbeats to it) and sends each
    try to a live one, another one on a retry.

:func:`success_rate` measures the share of calls answered within ``deadline`` seconds.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.faults import Crash
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Request", "Response", "Alive", "Resolve", "Instances", "AppService", "Inventory", "Sidecar", "Ambassador",
           "Registry", "mesh_scenario", "success_rate", "mesh_sweep", "DEPLOYMENTS", "APP", "LOCAL", "REGISTRY"]

APP, LOCAL, REGISTRY = "app", "local", "registry"
DEPLOYMENTS = ("plain", "sidecar", "ambassador")


@dataclass(frozen=True)
class Request:
    rid: int


@dataclass(frozen=True)
class Response:
    rid: int


@dataclass(frozen=True)
class Alive:
    """An instance's heartbeat to the registry."""


@dataclass(frozen=True)
class Resolve:
    """Which instances are alive?"""


@dataclass(frozen=True)
class Instances:
    alive: tuple


class AppService(Node):
    """The business code: one call every ``every`` seconds to ``outbound``. Observes ``sent`` and ``answered``."""
    state_fields = ("next_rid",)

    def __init__(self, node_id, peers=(), outbound="inventory1", every=0.05):
        super().__init__(node_id, peers)
        self.outbound = outbound
        self.every = number("every", every, low=0.0, low_open=True)
        self.next_rid = 0

    def on_start(self, ctx):
        ctx.set_timer("call", self.every)

    def on_timer(self, ctx, name):
        self.next_rid += 1
        ctx.observe("sent", self.next_rid)
        ctx.send(self.outbound, Request(self.next_rid))
        ctx.set_timer("call", self.every)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Response):
            ctx.observe("answered", msg.rid)


class Inventory(Node):
    """An inventory instance: answers every Request; heartbeats to the registry every ``heartbeat`` s."""
    state_fields = ()

    def __init__(self, node_id, peers=(), registry=REGISTRY, heartbeat=0.2):
        super().__init__(node_id, peers)
        self.registry = registry
        self.heartbeat = number("heartbeat", heartbeat, low=0.0, low_open=True)

    def on_start(self, ctx):
        if self.registry in ctx.peers:
            ctx.send(self.registry, Alive())
            ctx.set_timer("heartbeat", self.heartbeat)

    def on_timer(self, ctx, name):
        ctx.send(self.registry, Alive())
        ctx.set_timer("heartbeat", self.heartbeat)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Request):
            ctx.send(src, Response(msg.rid))


class Registry(Node):
    """Service discovery: instances heard from within ``ttl`` seconds are alive."""
    state_fields = ("last_heard",)

    def __init__(self, node_id, peers=(), ttl=0.5):
        super().__init__(node_id, peers)
        self.ttl = number("ttl", ttl, low=0.0, low_open=True)
        self.last_heard = {}

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Alive):
            self.last_heard[src] = ctx.now
        elif isinstance(msg, Resolve):
            alive = tuple(sorted(n for n, t in self.last_heard.items() if ctx.now - t < self.ttl))
            ctx.send(src, Instances(alive))


class Sidecar(Node):
    """Beside the app: forwards each Request upstream with a ``timeout`` and up to ``retries`` retries.

    Observes ``tries`` (rid, number of tries) when a call is answered.
    """
    state_fields = ("pending",)

    def __init__(self, node_id, peers=(), app=APP, upstream="inventory1", timeout=0.1, retries=3):
        super().__init__(node_id, peers)
        self.app, self.upstream = app, upstream
        self.timeout = number("timeout", timeout, low=0.0, low_open=True)
        self.retries = positive_int("retries", retries, low=0)
        self.pending = {}        # rid -> tries so far

    def target(self, ctx, rid, attempt):
        return self.upstream

    def try_once(self, ctx, rid) -> None:
        attempt = self.pending[rid]
        ctx.send(self.target(ctx, rid, attempt), Request(rid))
        ctx.set_timer(("timeout", rid), self.timeout)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Request) and src == self.app:
            self.pending[msg.rid] = 0
            self.try_once(ctx, msg.rid)
        elif isinstance(msg, Response) and msg.rid in self.pending:
            ctx.observe("tries", (msg.rid, self.pending.pop(msg.rid) + 1))
            ctx.cancel_timer(("timeout", msg.rid))
            ctx.send(self.app, msg)
        else:
            self.on_other(ctx, src, msg)

    def on_other(self, ctx, src, msg):
        pass

    def on_timer(self, ctx, name):
        if isinstance(name, tuple) and name[0] == "timeout" and name[1] in self.pending:
            rid = name[1]
            if self.pending[rid] < self.retries:
                self.pending[rid] += 1
                self.try_once(ctx, rid)
            else:
                del self.pending[rid]          # give up: the app hears nothing, as without a sidecar


class Ambassador(Sidecar):
    """A sidecar that also finds the instances: it asks the registry every ``refresh`` seconds and spreads
    tries over the live instances (the next one on each retry)."""
    state_fields = ("pending", "alive")

    def __init__(self, node_id, peers=(), app=APP, registry=REGISTRY, refresh=0.2, timeout=0.1, retries=3,
                 fallback="inventory1"):
        super().__init__(node_id, peers, app=app, upstream=fallback, timeout=timeout, retries=retries)
        self.registry = registry
        self.refresh = number("refresh", refresh, low=0.0, low_open=True)
        self.alive = ()

    def on_start(self, ctx):
        ctx.send(self.registry, Resolve())
        ctx.set_timer("refresh", self.refresh)

    def target(self, ctx, rid, attempt):
        if not self.alive:
            return self.upstream
        return self.alive[(rid + attempt) % len(self.alive)]

    def on_other(self, ctx, src, msg):
        if isinstance(msg, Instances):
            self.alive = msg.alive

    def on_timer(self, ctx, name):
        if name == "refresh":
            ctx.send(self.registry, Resolve())
            ctx.set_timer("refresh", self.refresh)
        else:
            super().on_timer(ctx, name)


def mesh_scenario(deployment: str = "plain", loss: float = 0.1, instances: int = 3, crash_at: float | None = 10.0,
                  until: float = 20.0, timeout: float = 0.1, retries: int = 3, **kwargs) -> Scenario:
    """The app, ``instances`` inventory instances, a registry, and the app's helper for ``deployment``.

    Network links lose ``loss`` of the messages; the app's link to its local helper is loss-free
    (same host). Instance ``inventory1``, the one the plain app and the sidecar call, crashes at
    ``crash_at`` (None: never).
    """
    if deployment not in DEPLOYMENTS:
        raise ValueError(f"deployment must be one of {DEPLOYMENTS}, got {deployment!r}")
    positive_int("instances", instances)
    inv = tuple(f"inventory{i}" for i in range(1, instances + 1))
    nodes = [APP, REGISTRY, *inv] + ([] if deployment == "plain" else [LOCAL])
    protocol = {APP: AppService, REGISTRY: Registry, **{i: Inventory for i in inv}}
    params = {APP: {"outbound": inv[0] if deployment == "plain" else LOCAL}}
    if deployment == "sidecar":
        protocol[LOCAL] = Sidecar
        params[LOCAL] = {"upstream": inv[0], "timeout": timeout, "retries": retries}
    elif deployment == "ambassador":
        protocol[LOCAL] = Ambassador
        params[LOCAL] = {"fallback": inv[0], "timeout": timeout, "retries": retries}
    local = LinkModel(latency=0.0005)
    links = {} if deployment == "plain" else {(APP, LOCAL): local, (LOCAL, APP): local}
    faults = (Crash(inv[0], crash_at),) if crash_at is not None else ()
    return Scenario(protocol, nodes=nodes, node_params=params, link=LinkModel(latency=0.01, loss=loss),
                    links=links, faults=faults, until=until, name=f"inventory calls ({deployment})", **kwargs)


def success_rate(trace, deadline: float = 1.0) -> float:
    """Share of the app's calls answered within ``deadline`` seconds (calls sent in the last ``deadline``
    seconds of the run are not counted)."""
    sent, answered = {}, {}
    for r in trace.rows:
        if r[1] == "observe" and r[2] == APP:
            if r[5] == "sent":
                sent[r[6]] = r[0]
            elif r[5] == "answered" and r[6] not in answered:
                answered[r[6]] = r[0]
    counted = [rid for rid, t in sent.items() if t <= trace.end_time - deadline]
    ok = sum(1 for rid in counted if rid in answered and answered[rid] - sent[rid] <= deadline)
    return ok / len(counted) if counted else float("nan")


def mesh_sweep(losses=(0.0, 0.05, 0.1, 0.2, 0.3), seeds=range(3), crash_at: float | None = 10.0,
               until: float = 20.0):
    """Success rate per deployment against link loss. Columns ``deployment``, ``loss``, ``seed``, ``success``."""
    import pandas as pd
    from dsysedu.sim.kernel import run
    rows = []
    for d in DEPLOYMENTS:
        for loss in losses:
            for seed in seeds:
                t = run(mesh_scenario(d, loss=loss, crash_at=crash_at, until=until), seed=seed)
                rows.append({"deployment": d, "loss": loss, "seed": seed, "success": success_rate(t)})
    return pd.DataFrame(rows)

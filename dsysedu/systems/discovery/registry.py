"""Service discovery (服务发现): a registry of live instances, kept by heartbeats and TTLs.

An :class:`Instance` registers with the :class:`Registry` at start and sends a heartbeat every
``heartbeat`` seconds. The registry drops an instance whose last heartbeat is older than
``ttl`` (it checks every ``sweep`` seconds). A :class:`DiscoveryClient` learns the live set by
polling every ``poll`` seconds, or (``watch=True``) by a push from the registry on each change.

This is the shape of Consul's TTL health checks, of an etcd lease kept alive by its holder, and
of a ZooKeeper ephemeral node that disappears with its session (a session timeout is a TTL).
A crashed instance stops heartbeating, but clients go on seeing it until the TTL has run out,
the sweep has noticed and the client has asked again: :func:`stale_window` measures that
window, which lies between ``ttl - heartbeat`` and ``ttl + sweep + poll`` (plus message
latency), so a short TTL shortens it at the price of more heartbeats (and false removals of
slow but live instances).

Observes: the registry ``registered`` (the sorted tuple of live instances) on each change; each
client ``view`` (its sorted tuple) on each change.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsysedu.sim.faults import Crash
from dsysedu.sim.network import LinkModel
from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Register", "Heartbeat", "Lookup", "Instances", "Registry", "Instance", "DiscoveryClient",
           "registry_scenario", "stale_window", "stale_window_table", "REGISTRY"]

REGISTRY = "registry"


@dataclass(frozen=True)
class Register:
    pass


@dataclass(frozen=True)
class Heartbeat:
    pass


@dataclass(frozen=True)
class Lookup:
    watch: bool = False


@dataclass(frozen=True)
class Instances:
    """The live instances, sorted."""
    names: tuple


class Registry(Node):
    """Instances and the time of their last heartbeat; drops those silent for longer than ``ttl``.

    Parameters
    ----------
    ttl : float
        Seconds without a heartbeat after which an instance is removed.
    sweep : float
        Seconds between checks of the TTLs.
    """
    state_fields = ("last_seen", "watchers")

    def __init__(self, node_id, peers=(), ttl=3.0, sweep=0.5):
        super().__init__(node_id, peers)
        self.ttl = number("ttl", ttl, low=0.0, low_open=True)
        self.sweep = number("sweep", sweep, low=0.0, low_open=True)
        self.last_seen = {}
        self.watchers = set()

    def live(self) -> tuple:
        return tuple(sorted(self.last_seen))

    def on_start(self, ctx):
        ctx.set_timer("sweep", self.sweep)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, (Register, Heartbeat)):
            known = src in self.last_seen
            self.last_seen[src] = ctx.now
            if not known:
                self.changed(ctx)
        elif isinstance(msg, Lookup):
            if msg.watch:
                self.watchers.add(src)
            ctx.send(src, Instances(self.live()))

    def on_timer(self, ctx, name):
        if name == "sweep":
            expired = [n for n in sorted(self.last_seen) if ctx.now - self.last_seen[n] > self.ttl]
            for n in expired:
                del self.last_seen[n]
            if expired:
                self.changed(ctx)
            ctx.set_timer("sweep", self.sweep)

    def changed(self, ctx) -> None:
        ctx.observe("registered", self.live())
        for w in sorted(self.watchers):
            ctx.send(w, Instances(self.live()))


class Instance(Node):
    """A service instance: registers, then heartbeats every ``heartbeat`` seconds."""
    state_fields = ()

    def __init__(self, node_id, peers=(), registry=REGISTRY, heartbeat=1.0):
        super().__init__(node_id, peers)
        self.registry = registry
        self.heartbeat = number("heartbeat", heartbeat, low=0.0, low_open=True)

    def on_start(self, ctx):
        ctx.send(self.registry, Register())
        ctx.set_timer("heartbeat", self.heartbeat * ctx.rng.random())   # instances do not beat in step

    def on_recover(self, ctx):
        self.on_start(ctx)

    def on_timer(self, ctx, name):
        if name == "heartbeat":
            ctx.send(self.registry, Heartbeat())
            ctx.set_timer("heartbeat", self.heartbeat)


class DiscoveryClient(Node):
    """Keeps a view of the live instances: polls every ``poll`` seconds, or watches for pushes."""
    state_fields = ("view",)

    def __init__(self, node_id, peers=(), registry=REGISTRY, poll=1.0, watch=False):
        super().__init__(node_id, peers)
        self.registry, self.watch = registry, bool(watch)
        self.poll = number("poll", poll, low=0.0, low_open=True)
        self.view = ()

    def on_start(self, ctx):
        ctx.send(self.registry, Lookup(self.watch))
        if not self.watch:
            ctx.set_timer("poll", self.poll * ctx.rng.random())    # clients do not poll in step

    def on_timer(self, ctx, name):
        if name == "poll":
            ctx.send(self.registry, Lookup())
            ctx.set_timer("poll", self.poll)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Instances) and msg.names != self.view:
            self.view = msg.names
            ctx.observe("view", self.view)


def registry_scenario(instances: int = 3, clients: int = 2, ttl: float = 3.0, heartbeat: float = 1.0,
                      sweep: float = 0.5, poll: float = 1.0, watch: bool = False, crash_at: float | None = 5.0,
                      latency: float = 0.005, until: float = 15.0) -> Scenario:
    """A registry, ``instances`` service instances (``s0``, ``s1``, ...) and ``clients``
    (``c0``, ...); instance ``s0`` crashes at ``crash_at`` (None: never).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> w = stale_window(run(registry_scenario(ttl=3.0), seed=1))
    >>> 2.0 <= w <= 3.0 + 0.5 + 1.0 + 0.1
    True
    """
    positive_int("instances", instances, high=1000)
    positive_int("clients", clients, high=1000)
    if not number("ttl", ttl, low=0.0, low_open=True) > number("heartbeat", heartbeat, low=0.0, low_open=True):
        raise ValueError(f"ttl must be longer than the heartbeat period (else live instances expire), "
                         f"got ttl={ttl!r}, heartbeat={heartbeat!r}")
    svc = [f"s{i}" for i in range(instances)]
    cl = [f"c{i}" for i in range(clients)]
    protocol = {REGISTRY: Registry, **{s: Instance for s in svc}, **{c: DiscoveryClient for c in cl}}
    params = {REGISTRY: {"ttl": ttl, "sweep": sweep}, **{s: {"heartbeat": heartbeat} for s in svc},
              **{c: {"poll": poll, "watch": watch} for c in cl}}
    faults = [] if crash_at is None else [Crash("s0", at=crash_at)]
    return Scenario(protocol, nodes=[REGISTRY, *svc, *cl], node_params=params, faults=faults,
                    link=LinkModel(latency=latency), until=until,
                    name=f"registry (TTL {ttl:g} s, {'watch' if watch else f'poll {poll:g} s'})")


def stale_window(trace, dead="s0") -> float:
    """Seconds from ``dead``'s crash until the last client stopped seeing it (the run's end if
    one never did); NaN if it never crashed."""
    crash = next((e.time for e in trace.events if e.kind == "crash" and e.node == dead), None)
    if crash is None:
        return float("nan")
    clients = [n for n in trace.nodes if str(n).startswith("c")]
    last = 0.0
    for c in clients:
        gone = next((e.time for e in trace.events if e.kind == "observe" and e.node == c and e.data == "view"
                     and e.time >= crash and dead not in e.value), None)
        last = max(last, (trace.end_time if gone is None else gone) - crash)
    return last


def stale_window_table(ttls=(1.5, 3.0, 6.0, 10.0), seeds=range(5), heartbeat: float = 1.0, sweep: float = 0.5,
                       poll: float = 1.0):
    """The stale window per TTL, polling and watching, over ``seeds``: a long DataFrame with
    columns ``ttl``, ``client`` ("poll" or "watch"), ``seed`` and ``window`` (seconds)."""
    import pandas as pd
    from dsysedu.sim.kernel import run
    rows = []
    for ttl in ttls:
        for watch in (False, True):
            for seed in seeds:
                sc = registry_scenario(ttl=ttl, heartbeat=heartbeat, sweep=sweep, poll=poll, watch=watch,
                                       until=5.0 + ttl + 3.0)
                rows.append((ttl, "watch" if watch else "poll", seed, stale_window(run(sc, seed=seed))))
    return pd.DataFrame(rows, columns=["ttl", "client", "seed", "window"])

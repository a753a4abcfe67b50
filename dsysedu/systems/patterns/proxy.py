"""Proxy and adapter (代理, 适配器) in front of a slow service, as simulator nodes.

A :class:`LegacyService` is slow (``service_time`` per lookup) and speaks its own protocol:
:class:`LegacyLookup` by record number, answered by a :class:`LegacyRecord` of ``(field, value)``
pairs. Its records change: record ``k`` is at version ``floor((t + phase_k) / change_every)``.

An :class:`Adapter` gives it the interface the rest of the system speaks, :class:`Get` a key and
get a :class:`Value` back, translating both ways (the adapter pattern: no change to either
side). A :class:`CachingProxy` speaks that same interface and stands in front of the adapter:
it answers from an LRU cache of ``capacity`` entries, each fresh for ``ttl`` seconds, and
forwards misses (the proxy pattern: same interface, added behaviour). A :class:`Reader` asks for
keys drawn from a Zipf distribution and observes ``got`` ``(key, version, latency, hit)``.

:func:`proxy_summary` measures the hit ratio, the mean latency and the share of stale answers
(a version older than the record's version at the time of the answer), the price of the cache.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from dsysedu.sim.node import Node
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

__all__ = ["Get", "Value", "LegacyLookup", "LegacyRecord", "LegacyService", "Adapter", "CachingProxy", "Reader",
           "proxy_scenario", "proxy_summary", "proxy_sweep", "record_version", "READER_ID", "PROXY", "ADAPTER",
           "LEGACY"]

READER_ID, PROXY, ADAPTER, LEGACY = "reader", "proxy", "adapter", "legacy"


@dataclass(frozen=True)
class Get:
    rid: int
    key: str


@dataclass(frozen=True)
class Value:
    rid: int
    key: str
    version: int
    hit: bool = False       # answered from a cache


@dataclass(frozen=True)
class LegacyLookup:
    """The old protocol: look up a record by number, with a reference to match the answer."""
    ref: int
    record: int


@dataclass(frozen=True)
class LegacyRecord:
    ref: int
    fields: tuple           # (("NO", record), ("REV", version))


def record_version(record: int, t: float, change_every: float) -> int:
    """The version of ``record`` at time ``t``: each record changes every ``change_every`` s, at its own phase."""
    phase = (record * 0.618034) % 1.0 * change_every
    return math.floor((t + phase) / change_every)


class LegacyService(Node):
    """Answers a LegacyLookup after ``service_time`` seconds with the record's current version."""
    state_fields = ()

    def __init__(self, node_id, peers=(), service_time=0.1, change_every=5.0):
        super().__init__(node_id, peers)
        self.service_time = number("service_time", service_time, low=0.0)
        self.change_every = number("change_every", change_every, low=0.0, low_open=True)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, LegacyLookup):
            ctx.set_timer(("answer", src, msg.ref, msg.record), self.service_time)

    def on_timer(self, ctx, name):
        _, src, ref, record = name
        ctx.send(src, LegacyRecord(ref, (("NO", record), ("REV", record_version(record, ctx.now, self.change_every)))))


class Adapter(Node):
    """Speaks Get/Value to its callers and LegacyLookup/LegacyRecord to the legacy service."""
    state_fields = ("pending", "next_ref")

    def __init__(self, node_id, peers=(), legacy=LEGACY):
        super().__init__(node_id, peers)
        self.legacy = legacy
        self.pending = {}       # ref -> (caller, rid, key)
        self.next_ref = 0

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Get):
            self.next_ref += 1
            self.pending[self.next_ref] = (src, msg.rid, msg.key)
            ctx.send(self.legacy, LegacyLookup(self.next_ref, int(msg.key.lstrip("k"))))   # "k17" -> 17
        elif isinstance(msg, LegacyRecord) and msg.ref in self.pending:
            caller, rid, key = self.pending.pop(msg.ref)
            ctx.send(caller, Value(rid, key, dict(msg.fields)["REV"]))


class CachingProxy(Node):
    """Same interface as what it stands for; answers from an LRU cache with a time to live.

    Parameters
    ----------
    capacity : int
        Entries kept (least recently used evicted first).
    ttl : float
        Seconds an entry is served before it is fetched again.
    """
    state_fields = ("cache", "order", "waiting")

    def __init__(self, node_id, peers=(), upstream=ADAPTER, capacity=20, ttl=1.0):
        super().__init__(node_id, peers)
        self.upstream = upstream
        self.capacity = positive_int("capacity", capacity)
        self.ttl = number("ttl", ttl, low=0.0)
        self.cache = {}         # key -> (version, fetched at)
        self.order = ()         # keys, least recently used first
        self.waiting = {}       # key -> ((caller, rid), ...) asked while a fetch is out

    def touch(self, key) -> None:
        self.order = tuple(k for k in self.order if k != key) + (key,)

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Get):
            entry = self.cache.get(msg.key)
            if entry is not None and ctx.now - entry[1] < self.ttl:
                self.touch(msg.key)
                ctx.send(src, Value(msg.rid, msg.key, entry[0], hit=True))
                return
            if msg.key not in self.waiting:        # one fetch per key at a time
                self.waiting[msg.key] = ()
                ctx.send(self.upstream, Get(msg.rid, msg.key))
            self.waiting[msg.key] += ((src, msg.rid),)
        elif isinstance(msg, Value) and msg.key in self.waiting:
            self.cache[msg.key] = (msg.version, ctx.now)
            self.touch(msg.key)
            while len(self.order) > self.capacity:
                evicted, self.order = self.order[0], self.order[1:]
                del self.cache[evicted]
            for caller, rid in self.waiting.pop(msg.key):
                ctx.send(caller, Value(rid, msg.key, msg.version))


class Reader(Node):
    """Asks for a key every ``every`` seconds (Poisson), keys ``k0``..``k{keys-1}`` with Zipf weights."""
    state_fields = ("next_rid", "asked")

    def __init__(self, node_id, peers=(), upstream=PROXY, keys=100, zipf=1.0, every=0.02):
        super().__init__(node_id, peers)
        self.upstream = upstream
        self.keys = positive_int("keys", keys)
        self.zipf = number("zipf", zipf, low=0.0)
        self.every = number("every", every, low=0.0, low_open=True)
        self.weights = [1 / (i + 1) ** self.zipf for i in range(self.keys)]
        self.next_rid = 0
        self.asked = {}

    def on_start(self, ctx):
        ctx.set_timer("ask", ctx.rng.expovariate(1 / self.every))

    def on_timer(self, ctx, name):
        self.next_rid += 1
        key = f"k{ctx.rng.choices(range(self.keys), self.weights)[0]}"
        self.asked[self.next_rid] = ctx.now
        ctx.send(self.upstream, Get(self.next_rid, key))
        ctx.set_timer("ask", ctx.rng.expovariate(1 / self.every))

    def on_message(self, ctx, src, msg):
        if isinstance(msg, Value) and msg.rid in self.asked:
            ctx.observe("got", (msg.key, msg.version, ctx.now - self.asked.pop(msg.rid), msg.hit))


def proxy_scenario(proxy: bool = True, capacity: int = 20, ttl: float = 1.0, keys: int = 100, zipf: float = 1.0,
                   every: float = 0.02, service_time: float = 0.1, change_every: float = 5.0,
                   until: float = 20.0, **kwargs) -> Scenario:
    """Reader -> (caching proxy ->) adapter -> legacy service. Links: 10 ms each way."""
    if not isinstance(proxy, bool):
        raise TypeError(f"proxy must be True or False, got {proxy!r}")
    nodes = [READER_ID, *([PROXY] if proxy else []), ADAPTER, LEGACY]
    protocol = {READER_ID: Reader, ADAPTER: Adapter, LEGACY: LegacyService}
    params = {READER_ID: {"upstream": PROXY if proxy else ADAPTER, "keys": keys, "zipf": zipf, "every": every},
              LEGACY: {"service_time": service_time, "change_every": change_every}}
    if proxy:
        protocol[PROXY] = CachingProxy
        params[PROXY] = {"capacity": capacity, "ttl": ttl}
    return Scenario(protocol, nodes=nodes, node_params=params, until=until,
                    name=f"{'caching proxy and ' if proxy else ''}adapter", **kwargs)


def proxy_summary(trace, change_every: float = 5.0) -> dict:
    """Requests answered, hit ratio, mean and 99th-percentile latency (s), share of stale answers."""
    got = [(r[0], *r[6]) for r in trace.rows if r[1] == "observe" and r[5] == "got"]
    if not got:
        return {"answered": 0, "hit_ratio": 0.0, "mean_latency": float("nan"), "p99_latency": float("nan"),
                "stale": 0.0}
    lat = sorted(g[3] for g in got)
    stale = sum(version < record_version(int(key[1:]), t, change_every) for t, key, version, _l, _h in got)
    return {"answered": len(got), "hit_ratio": sum(g[4] for g in got) / len(got),
            "mean_latency": sum(lat) / len(lat), "p99_latency": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
            "stale": stale / len(got)}


def proxy_sweep(ttls=(0.0, 0.25, 0.5, 1.0, 2.0, 5.0), capacities=(5, 20, 100), seeds=range(3), until: float = 20.0):
    """:func:`proxy_summary` over cache sizes and times to live, plus the run without a proxy (``capacity`` 0).

    Columns: ``capacity``, ``cache`` (its words: ``"20 entries"``, ``"no proxy"``), ``ttl``, ``seed``, then
    those of :func:`proxy_summary`.
    """
    import pandas as pd
    from dsysedu.sim.kernel import run
    rows = []
    for seed in seeds:
        rows.append({"capacity": 0, "cache": "no proxy", "ttl": 0.0, "seed": seed,
                     **proxy_summary(run(proxy_scenario(proxy=False, until=until), seed=seed))})
        for cap in capacities:
            for ttl in ttls:
                t = run(proxy_scenario(capacity=cap, ttl=ttl, until=until), seed=seed)
                rows.append({"capacity": cap, "cache": f"{cap} entries", "ttl": ttl, "seed": seed,
                             **proxy_summary(t)})
    return pd.DataFrame(rows)

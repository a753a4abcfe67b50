"""Caching proxy and adapter: translation both ways, LRU and TTL, and the measured trade-off."""
import pytest

from dsysedu.sim import run
from dsysedu.sim.node import Context, SEND, SET_TIMER
from dsysedu.systems.patterns import (ADAPTER, Adapter, CachingProxy, Get, LEGACY, LegacyLookup, LegacyRecord,
                                      LegacyService, PROXY, proxy_scenario, proxy_summary, proxy_sweep, Reader,
                                      READER_ID, record_version, Value)


def ctx_at(node, now=0.0):
    c = Context(node, [n for n in (READER_ID, PROXY, ADAPTER, LEGACY) if n != node])
    c.now = now
    return c


def sends(ctx):
    return [(e[1], e[2]) for e in ctx.effects if e[0] == SEND]


def test_adapter_translates_both_ways():
    a = Adapter(ADAPTER)
    c = ctx_at(ADAPTER)
    a.on_message(c, PROXY, Get(7, "k17"))
    assert sends(c) == [(LEGACY, LegacyLookup(1, 17))]
    c = ctx_at(ADAPTER)
    a.on_message(c, LEGACY, LegacyRecord(1, (("NO", 17), ("REV", 4))))
    assert sends(c) == [(PROXY, Value(7, "k17", 4))] and a.pending == {}


def test_legacy_answers_after_its_service_time_with_the_current_version():
    s = LegacyService(LEGACY, service_time=0.1, change_every=5.0)
    c = ctx_at(LEGACY, 1.0)
    s.on_message(c, ADAPTER, LegacyLookup(3, 2))
    (kind, name, delay), = c.effects
    assert kind == SET_TIMER and delay == 0.1
    c = ctx_at(LEGACY, 1.1)
    s.on_timer(c, name)
    assert sends(c) == [(ADAPTER, LegacyRecord(3, (("NO", 2), ("REV", record_version(2, 1.1, 5.0)))))]


def test_proxy_hits_within_ttl_misses_after_and_evicts_least_recently_used():
    p = CachingProxy(PROXY, capacity=2, ttl=1.0)
    c = ctx_at(PROXY, 0.0)
    p.on_message(c, READER_ID, Get(1, "k1"))
    p.on_message(c, READER_ID, Get(2, "k1"))            # the same key while its fetch is out: one fetch
    assert sends(c) == [(ADAPTER, Get(1, "k1"))]
    c = ctx_at(PROXY, 0.1)
    p.on_message(c, ADAPTER, Value(1, "k1", 5))
    assert sends(c) == [(READER_ID, Value(1, "k1", 5)), (READER_ID, Value(2, "k1", 5))]
    c = ctx_at(PROXY, 0.5)
    p.on_message(c, READER_ID, Get(3, "k1"))
    assert sends(c) == [(READER_ID, Value(3, "k1", 5, hit=True))]
    c = ctx_at(PROXY, 1.2)                               # fetched at 0.1, ttl 1.0: stale by now
    p.on_message(c, READER_ID, Get(4, "k1"))
    assert sends(c) == [(ADAPTER, Get(4, "k1"))]
    for i, k in enumerate(("k2", "k3")):
        c = ctx_at(PROXY, 1.3)
        p.on_message(c, READER_ID, Get(10 + i, k))
        p.on_message(c, ADAPTER, Value(10 + i, k, 1))
    assert set(p.cache) == {"k2", "k3"} and p.order == ("k2", "k3")


def test_measured_trade_off():
    base = proxy_summary(run(proxy_scenario(proxy=False, until=10.0), seed=1))
    assert base["hit_ratio"] == 0 and abs(base["mean_latency"] - 0.14) < 1e-9
    df = proxy_sweep(ttls=(0.25, 5.0), capacities=(100,), seeds=range(2), until=10.0)
    m = df[df.capacity == 100].groupby("ttl")[["hit_ratio", "stale", "mean_latency"]].mean()
    assert m.hit_ratio[5.0] > m.hit_ratio[0.25] > 0.1 and m.stale[5.0] > m.stale[0.25]
    assert m.mean_latency[5.0] < m.mean_latency[0.25] < 0.14


def test_bad_parameters():
    with pytest.raises(TypeError):
        proxy_scenario(proxy="yes")
    with pytest.raises(ValueError):
        CachingProxy(PROXY, capacity=0)
    with pytest.raises(ValueError):
        Reader(READER_ID, every=0.0)

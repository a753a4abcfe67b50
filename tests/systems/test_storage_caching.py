"""Caching: policies keep their size and agree with cachetools; LRU follows Che's approximation; ARC adapts where
LFU does not; write-back loses acknowledged writes in a crash; staleness is bounded by the TTL; each remedy of
penetration, avalanche and stampede lowers the database load."""
import doctest
from collections import OrderedDict

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.sim import Crash, run
from dsysedu.systems.storage import cache_experiments, cache_nodes, cache_policies
from dsysedu.systems.storage.cache_experiments import (avalanche_table, cache_scenario, cache_summary,
                                                       penetration_table, stale_reads, stampede_table,
                                                       staleness_table)
from dsysedu.systems.storage.cache_nodes import BloomFilter
from dsysedu.systems.storage.cache_policies import (ARC, LFU, LRU, che_hit_ratio, cachetools_hit_ratio, hit_ratio,
                                                    hit_ratio_table, zipf_requests)

requests = st.lists(st.integers(0, 30), max_size=300)


def test_doctests():
    for m in (cache_policies, cache_nodes, cache_experiments):
        assert doctest.testmod(m).failed == 0, m.__name__


@settings(max_examples=100, deadline=None)
@given(requests, st.integers(1, 10))
def test_lru_matches_a_plain_reference(reqs, c):
    ref, ours = OrderedDict(), LRU(c)
    for k in reqs:
        hit = k in ref
        if hit:
            ref.move_to_end(k)
        else:
            if len(ref) >= c:
                ref.popitem(last=False)
            ref[k] = None
        assert ours.access(k) == hit and list(ours.keys) == list(ref)


@settings(max_examples=100, deadline=None)
@given(requests, st.integers(1, 10))
def test_policies_keep_their_size_and_arc_its_lists(reqs, c):
    lfu, arc = LFU(c), ARC(c)
    for k in reqs:
        lfu.access(k)
        arc.access(k)
        assert len(lfu.count) <= c
        assert len(arc.t1) + len(arc.t2) <= c and len(arc.t1) + len(arc.b1) <= c
        assert len(arc.t1) + len(arc.t2) + len(arc.b1) + len(arc.b2) <= 2 * c and 0 <= arc.p <= c


def test_a_key_just_used_is_a_hit_in_every_policy():
    for policy in (LRU(3), LFU(3), ARC(3)):
        for k in [1, 2, 3, 4, 1, 5, 2]:
            policy.access(k)
            assert policy.access(k)


def test_ours_agree_with_cachetools():
    reqs = zipf_requests(500, 20_000, 0.8, seed=2).tolist()
    for kind, cls in (("LRU", LRU), ("LFU", LFU)):
        assert hit_ratio(cls(50), reqs, 5000) == pytest.approx(cachetools_hit_ratio(kind, 50, reqs, 5000), abs=0.01)


def test_lru_follows_ches_approximation():
    table = hit_ratio_table([20, 100, 300], n_keys=1000, n_requests=60_000)
    lru = table[table.policy == "LRU"].set_index("capacity").hit_ratio
    che = table[table.policy == "Che (LRU)"].set_index("capacity").hit_ratio
    assert ((lru - che).abs() < 0.015).all()
    assert che_hit_ratio(1000, 1000) == 1.0


def test_arc_adapts_where_lfu_does_not():
    table = hit_ratio_table([50, 200], shifting=True).pivot_table(index="capacity", columns="policy",
                                                                  values="hit_ratio")
    assert (table.ARC > table.LFU + 0.1).all() and (table.ARC >= table.LRU - 0.01).all()


@given(st.sets(st.integers(0, 10 ** 9), max_size=200))
def test_a_bloom_filter_has_no_false_negatives(keys):
    b = BloomFilter(keys, bits=4096, hashes=4)
    assert all(k in b for k in keys)


def test_write_back_loses_acknowledged_writes_in_a_crash_and_write_through_does_not():
    crash = [Crash("cache", 5.5, 6.0)]
    lost = {w: cache_summary(run(cache_scenario(write=w, ttl=5.0, write_rate=20.0, faults=crash), seed=1))
            ["lost_writes"] for w in ("through", "back", "around")}
    assert lost["through"] == lost["around"] == 0 < lost["back"]


def test_write_around_misses_more_than_write_through():
    s = {w: cache_summary(run(cache_scenario(write=w, ttl=5.0, write_rate=20.0), seed=1)) for w in ("through", "around")}
    assert s["around"]["hit_ratio"] < s["through"]["hit_ratio"]


def test_the_stale_read_window_is_bounded_by_the_ttl():
    t = staleness_table(ttls=(0.5, 2.0), seeds=range(2))
    assert (t.max_staleness <= t.ttl + 0.05).all()
    by = t.groupby("ttl").stale_share.mean()
    assert by[2.0] > by[0.5] > 0
    assert stale_reads(run(cache_scenario(ttl=1.0, keys=20, writer_rate=0.0001, stop=5.0), seed=0)).empty


def test_penetration_remedies():
    t = penetration_table(seeds=range(1)).set_index(["attack", "remedy"]).db_reads_per_s
    assert t["few", "negative cache"] < 0.3 * t["few", "none"]
    assert t["fresh", "negative cache"] > 0.8 * t["fresh", "none"]       # random missing keys defeat it
    assert t["fresh", "Bloom filter"] < 0.3 * t["fresh", "none"]


def test_jittered_ttls_flatten_the_avalanche():
    _series, peaks = avalanche_table(jitters=(0.0, 0.5))
    assert peaks[0.5] < 0.7 * peaks[0.0]


def test_xfetch_prevents_the_stampede():
    t = stampede_table(seeds=range(2)).groupby("remedy")[["db_reads", "misses"]].mean()
    assert t.loc["XFetch, beta 1", "db_reads"] < 0.2 * t.loc["none", "db_reads"]
    assert t.loc["XFetch, beta 1", "misses"] == 0 < t.loc["none", "misses"]


@pytest.mark.parametrize("bad", [{"write": "sideways"}, {"ttl": -1.0}, {"bloom": {1, 2}}])
def test_bad_cache_settings_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        run(cache_scenario(**bad), seed=0)

"""Sharding: consistent hashing moves only the keys the new node takes, about K/N of them, against nearly all for
mod N; more virtual nodes even the load; the router's range scans fan out under hashing and not under ranges."""
import doctest

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.systems.storage import shard_nodes, sharding
from dsysedu.systems.storage.sharding import (HashRing, JumpSharding, ModNSharding, RangeSharding, Rendezvous,
                                              hotspot, jump_hash, load_imbalance, moved_fraction, shards_touched,
                                              uhashring_ring)

KEYS = range(5000)
node_sets = st.lists(st.sampled_from([f"n{i}" for i in range(30)]), min_size=2, max_size=12, unique=True)


def test_doctests():
    assert doctest.testmod(sharding).failed == 0


@settings(max_examples=30, deadline=None)
@given(node_sets, st.sampled_from(["ring", "rendezvous", "jump"]))
def test_a_join_moves_keys_only_to_the_new_node_and_about_k_over_n(nodes, kind):
    before = {"ring": HashRing(nodes, vnodes=100), "rendezvous": Rendezvous(nodes), "jump": JumpSharding(nodes)}[kind]
    after = before.with_nodes(nodes + ["new"])
    moved = [k for k in KEYS if before.node_for(k) != after.node_for(k)]
    assert all(after.node_for(k) == "new" for k in moved)
    assert len(moved) / len(KEYS) < 2.0 / (len(nodes) + 1)


@settings(max_examples=30, deadline=None)
@given(node_sets)
def test_a_leave_moves_only_the_leaving_nodes_keys(nodes):
    ring = HashRing(nodes, vnodes=50)
    gone = nodes[len(nodes) // 2]
    after = ring.with_nodes([n for n in nodes if n != gone])
    assert all(ring.node_for(k) == gone for k in KEYS if ring.node_for(k) != after.node_for(k))


def test_mod_n_moves_nearly_all_keys():
    nodes = [f"n{i}" for i in range(10)]
    assert moved_fraction(ModNSharding(nodes), KEYS, nodes + ["n10"]) > 0.85
    assert moved_fraction(HashRing(nodes), KEYS, nodes + ["n10"]) < 0.15


def test_range_split_moves_half_of_one_shard():
    r = RangeSharding(["a", "b", "c", "d"], key_space=8000)
    assert moved_fraction(r, range(8000), ["a", "b", "c", "d", "e"]) == pytest.approx(1 / 8)
    assert moved_fraction(r, range(8000), ["a", "c", "d"]) == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="one node at a time"):
        r.with_nodes(["x", "y"])


def test_jump_hash_refuses_a_change_in_the_middle():
    with pytest.raises(ValueError, match="at the end"):
        JumpSharding(["a", "b", "c"]).with_nodes(["a", "c"])


@given(st.integers(0, 2 ** 64 - 1), st.integers(1, 200))
def test_jump_hash_stays_or_jumps_to_the_new_bucket(key, n):
    assert jump_hash(key, n + 1) in (jump_hash(key, n), n)


def test_virtual_nodes_even_the_load():
    nodes = [f"n{i}" for i in range(10)]
    keys = range(50_000)
    one, many = load_imbalance(HashRing(nodes, 1), keys), load_imbalance(HashRing(nodes, 200), keys)
    assert one > 1.5 and many < 1.15


def test_a_hot_key_makes_a_hot_shard_whatever_the_strategy():
    nodes = [f"n{i}" for i in range(10)]
    for s in (HashRing(nodes), ModNSharding(nodes), Rendezvous(nodes)):
        assert hotspot(s, KEYS, exponent=1.0, seed=1) > 1.4 > hotspot(s, KEYS, exponent=0.0, seed=1)


def test_uhashring_behaves_like_our_ring():
    nodes = [f"n{i}" for i in range(10)]
    ours, theirs = HashRing(nodes, 160), uhashring_ring(nodes, 160)
    assert abs(moved_fraction(ours, KEYS, nodes + ["n10"]) - moved_fraction(theirs, KEYS, nodes + ["n10"])) < 0.05
    assert load_imbalance(theirs, KEYS) < 1.25


def test_range_queries_touch_one_shard_under_ranges_and_all_under_hashing():
    nodes = [f"n{i}" for i in range(8)]
    assert shards_touched(RangeSharding(nodes, 10_000), 100, 200) == 1
    assert shards_touched(ModNSharding(nodes), 100, 200) == 8
    costs = shard_nodes.query_costs(queries=50)
    scan = costs[costs["query"] == "range scan"].set_index("strategy")
    assert scan.loc["range", "shards"] < 1.2 and scan.loc["mod N", "shards"] == 8
    assert scan.loc["mod N", "latency"] > 1.5 * scan.loc["range", "latency"]


@pytest.mark.parametrize("bad", [[], ["a", "a"]])
def test_bad_node_lists_are_refused(bad):
    with pytest.raises(ValueError):
        HashRing(bad)

"""CRDTs: the semilattice laws on reachable states (hypothesis), strong eventual consistency,
convergence after partitions in the simulator, and the broken sum-merge counter caught by both."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from dsysedu.protocols.replication import KINDS, CrdtReplica, GCounter, LWWRegister, MVRegister, ORSet, PNCounter, StateMessage, SumCounter, convergence, crdt_scenario, crdt_states, empty, law_counterexample, random_update, sample_states
from dsysedu.sim import Crash
from dsysedu.sim.node import OBSERVE, SEND, Context

GOOD = ("gcounter", "pncounter", "lww", "mvregister", "orset")
REPLICAS = ("a", "b", "c")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# A history: each step either updates one replica (with a seed for the random update and a small
# timestamp, so that LWW ties between replicas happen) or merges one replica's state into another.
step = st.one_of(
    st.tuples(st.just("update"), st.sampled_from(REPLICAS), st.integers(0, 2**16), st.integers(0, 4)),
    st.tuples(st.just("merge"), st.sampled_from(REPLICAS), st.sampled_from(REPLICAS), st.just(0)),
)
histories = st.lists(step, min_size=1, max_size=25)


def play(kind, history):
    """Run a history; return every state reached, and the final (state, updates seen) per replica."""
    states = {r: empty(kind) for r in REPLICAS}
    seen = {r: frozenset() for r in REPLICAS}
    reached = [empty(kind)]
    for i, (op, x, y, ts) in enumerate(history):
        if op == "update":
            states[x], _ = random_update(kind, states[x], x, random.Random(y), timestamp=float(ts))
            seen[x] = seen[x] | {i}
        else:
            states[x] = states[x].merge(states[y])
            seen[x] = seen[x] | seen[y]
        reached.append(states[x])
    return reached, states, seen


@pytest.mark.parametrize("kind", GOOD)
@SETTINGS
@given(history=histories, data=st.data())
def test_merge_is_commutative_associative_idempotent(kind, history, data):
    reached, _, _ = play(kind, history)
    picks = data.draw(st.lists(st.sampled_from(reached), min_size=1, max_size=4))
    assert law_counterexample(picks) is None


@pytest.mark.parametrize("kind", GOOD)
@SETTINGS
@given(history=histories, seed=st.integers(0, 2**16), ts=st.integers(0, 6))
def test_updates_are_inflationary(kind, history, seed, ts):
    reached, _, _ = play(kind, history)
    for x in reached[-3:]:
        after, _ = random_update(kind, x, "b", random.Random(seed), timestamp=float(ts))
        assert x.merge(after) == after


@pytest.mark.parametrize("kind", GOOD)
@SETTINGS
@given(history=histories)
def test_replicas_that_saw_the_same_updates_are_equal(kind, history):
    _, states, seen = play(kind, history)
    for r in REPLICAS:
        for q in REPLICAS:
            if seen[r] == seen[q]:
                assert states[r] == states[q], (r, q)


@pytest.mark.parametrize("kind", GOOD)
@SETTINGS
@given(history=histories, order=st.permutations(REPLICAS * 2))
def test_any_merge_order_of_all_states_gives_the_same_result(kind, history, order):
    _, states, _ = play(kind, history)
    folded = empty(kind)
    for r in order:           # every replica twice, in any order: duplicates and reordering do not matter
        folded = folded.merge(states[r])
    reference = states["a"].merge(states["b"]).merge(states["c"])
    assert folded == reference


def test_hypothesis_finds_the_broken_counter_law():
    found = find(histories, lambda h: law_counterexample(play("sumcounter", h)[0]) is not None,
                 settings=settings(max_examples=200, deadline=None, database=None))
    law, args = law_counterexample(play("sumcounter", found)[0])
    assert law == "idempotent" and args[0].merge(args[0]).value == 2 * args[0].value


def test_broken_counter_breaks_same_updates_same_state():
    history = [("update", "a", 1, 0), ("merge", "b", "a", 0), ("merge", "b", "a", 0)]
    _, states, seen = play("sumcounter", history)
    assert seen["a"] == seen["b"] and states["a"].value == 1 and states["b"].value == 2


# -- each type's meaning ------------------------------------------------------------

def test_counters_count():
    g = GCounter().increment("a").increment("b", 3)
    assert g.value == 4 and g.merge(GCounter().increment("a", 2)).value == 5
    pn = PNCounter().increment("a", 2).decrement("b")
    assert pn.value == 1 and pn.merge(PNCounter().decrement("a")).value == 0
    with pytest.raises(ValueError, match="only grows"):
        GCounter().increment("a", -1)


def test_lww_picks_the_later_stamp_and_breaks_ties_by_replica():
    r = LWWRegister().assign("old", 1.0, "z").assign("new", 2.0, "a")
    assert r.value == "new"
    assert r.assign("late-clock", 1.5, "b").value == "new"                  # an older write is lost
    assert LWWRegister("x", 1.0, "a").merge(LWWRegister("y", 1.0, "b")).value == "y"
    assert LWWRegister("y", 1.0, "b").merge(LWWRegister("x", 1.0, "a")).value == "y"


def test_mv_register_keeps_concurrent_writes_as_siblings():
    base = MVRegister().assign(1, "a")
    left, right = base.assign(2, "a"), base.assign(3, "b")
    both = left.merge(right)
    assert both.values == (2, 3)
    assert left.merge(base) == left                                          # a later write covers the old one
    assert both.assign(4, "c").values == (4,)


def test_or_set_add_wins_and_remove_removes_what_it_saw():
    s = ORSet().add("x", "a").add("y", "a")
    assert s.remove("x").elements == ("y",)
    removed, readded = s.remove("x"), s.add("x", "b")
    assert removed.merge(readded).elements == ("x", "y") == readded.merge(removed).elements
    assert "x" not in removed.merge(s)                                       # the same tags: the remove wins
    tags = [t for _e, t in s.add("x", "a").adds]
    assert len(tags) == len(set(tags)) == 3


def test_kinds_and_bad_kind():
    assert set(KINDS) == set(GOOD) | {"sumcounter"} and isinstance(empty("sumcounter"), SumCounter)
    with pytest.raises(ValueError, match="kind must be one of"):
        empty("gset")
    with pytest.raises(ValueError, match="kind must be one of"):
        crdt_scenario("nope")


# -- the replica node ------------------------------------------------------------

def test_replica_merges_and_observes_only_on_change():
    node = CrdtReplica(0, peers=(1, 2), kind="gcounter")
    ctx = Context(0, node.peers)
    incoming = GCounter().increment(1, 2)
    node.on_message(ctx, 1, StateMessage(incoming))
    eff = ctx.take_effects()
    assert node.crdt == incoming and (OBSERVE, "merged", 1) in eff and (OBSERVE, "value", 2) in eff
    node.on_message(ctx, 2, StateMessage(GCounter().increment(1, 1)))       # older news: nothing changes
    assert ctx.take_effects() == [] and node.crdt == incoming
    node.on_timer(ctx, "gossip")
    sends = [e for e in ctx.take_effects() if e[0] == SEND]
    assert len(sends) == 1 and sends[0][2] == StateMessage(incoming)


def test_bad_parameters():
    with pytest.raises(ValueError, match="heal_at"):
        crdt_scenario("gcounter", 4, partition=[[0, 1], [2, 3]], partition_at=3.0, heal_at=1.0)
    with pytest.raises(ValueError, match="gossip_interval"):
        crdt_scenario("gcounter", gossip_interval=0)
    with pytest.raises(ValueError, match="every node"):
        crdt_scenario("gcounter", 4, partition=[[0, 1], [2]])
    with pytest.raises(ValueError, match="quiet"):
        convergence(crdt_scenario("gcounter", 3, until=2.0, updates_until=1.9).run(seed=1), quiet=1.0)


# -- runs under partitions ---------------------------------------------------------

def _random_partition(rnd, n):
    nodes = list(range(n))
    rnd.shuffle(nodes)
    cut = rnd.randrange(1, n)
    return [sorted(nodes[:cut]), sorted(nodes[cut:])]


@pytest.mark.parametrize("kind", GOOD)
def test_replicas_converge_after_heal_over_many_seeds(kind):
    for seed in range(12):
        rnd = random.Random(seed)
        n = rnd.randrange(3, 7)
        at = rnd.uniform(0.2, 1.5)
        heal = at + rnd.uniform(0.5, 2.0)
        faults = [Crash(n - 1, at=rnd.uniform(0.0, heal), until=heal + 0.2)] if seed % 3 == 0 else []
        sc = crdt_scenario(kind, n, partition=_random_partition(rnd, n), partition_at=at, heal_at=heal,
                           update_rate=2.0, loss=0.05 if seed % 2 else 0.0, faults=faults, until=heal + 3.0)
        trace = sc.run(seed=seed)
        verdict = convergence(trace, quiet=2.5)
        assert verdict.ok, (seed, verdict)
        assert trace.count("partition") == 1


def test_partitioned_sides_differ_before_heal_and_agree_after():
    trace = crdt_scenario("orset", 4, partition=[[0, 1], [2, 3]], partition_at=0.5, heal_at=3.0,
                          update_rate=3.0, until=6.0).run(seed=5)
    states = crdt_states(trace)
    before = states[states.time <= 2.9].groupby("node").state.last()
    assert before[0] != before[2]
    assert convergence(trace, quiet=2.0).ok


def test_the_broken_counter_never_converges():
    for seed in range(5):
        trace = crdt_scenario("sumcounter", 4, partition=[[0, 1], [2, 3]], until=6.0).run(seed=seed)
        verdict = convergence(trace, quiet=2.0)
        assert not verdict.ok and verdict.events and "different states" in verdict.message


def test_same_seed_same_run():
    sc = crdt_scenario("mvregister", 4, partition=[[0], [1, 2, 3]], until=4.0)
    assert sc.run(seed=9) == sc.run(seed=9)


@pytest.mark.parametrize("kind", GOOD)
def test_sample_states_obey_the_laws_and_the_broken_kind_does_not(kind):
    for seed in range(3):
        assert law_counterexample(sample_states(kind, 12, seed=seed)) is None
    assert sample_states(kind, 5, seed=1) == sample_states(kind, 5, seed=1)
    assert law_counterexample(sample_states("sumcounter", 12, seed=0))[0] == "idempotent"

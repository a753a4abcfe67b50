"""The partitioned log: per-partition order and nothing skipped under random member crashes; a rebalance moves a
dead member's partitions; a replay reads the same records; auto-commit before processing is caught."""
import doctest

from hypothesis import given, settings, strategies as st

from dsysedu.sim import Crash, run
from dsysedu.sim.node import Context
from dsysedu.systems.messaging import log as kafka
from dsysedu.systems.messaging.log import (AutoCommitConsumer, Commit, Fetch, JoinGroup, LogBroker, Produce, Records,
                                           log_scenario, log_summary, nothing_skipped, ownership, partition_of,
                                           per_partition_order, range_assign)

crash = st.builds(lambda n, at, d: Crash(n, at, at + d), st.sampled_from(["m0", "m1", "m2", "broker"]),
                  st.floats(0.0, 8.0), st.floats(0.1, 3.0))


def test_doctests():
    assert doctest.testmod(kafka).failed == 0


@settings(max_examples=20, deadline=None)
@given(st.lists(crash, max_size=4), st.integers(0, 10_000))
def test_per_partition_order_and_nothing_skipped_under_crashes(faults, seed):
    t = run(log_scenario(count=120, rate=20.0, faults=faults, until=25.0), seed=seed)
    assert per_partition_order(t), per_partition_order(t)
    assert nothing_skipped(t), nothing_skipped(t)


@settings(max_examples=50, deadline=None)
@given(st.sets(st.text("abcdef", min_size=1, max_size=3), min_size=1, max_size=8), st.integers(1, 20))
def test_range_assignment_gives_each_partition_to_exactly_one_member(members, partitions):
    plan = range_assign(members, partitions)
    owned = sorted(p for ps in plan.values() for p in ps)
    assert owned == list(range(partitions))
    sizes = [len(ps) for ps in plan.values()]
    assert max(sizes) - min(sizes) <= 1


def test_a_rebalance_moves_the_dead_members_partitions():
    t = run(log_scenario(faults=[Crash("m1", 3.0, 8.0)]), seed=1)
    own = ownership(t)
    during = own[(own.time > 3.0) & (own.time < 8.0)]
    assert len(during) and "m1" not in set(during.member)
    assert sorted(p for ps in during.partitions for p in ps) == list(range(6))
    assert per_partition_order(t) and nothing_skipped(t)


def test_a_replay_reads_the_same_records_again():
    t = run(log_scenario(reset_at=15.0, reset_to=0), seed=2)
    s = log_summary(t)
    assert s["appended"] == 300 and s["reprocessed"] == 300 and per_partition_order(t)


def test_auto_commit_before_processing_skips_records_in_a_crash():
    faults = [Crash("m1", 3.0, 8.0), Crash("m0", 9.0, 12.0)]
    t = run(log_scenario(consumer=AutoCommitConsumer, process_time=0.05, faults=faults), seed=0)
    assert not nothing_skipped(t) and per_partition_order(t)


def test_broker_fences_a_zombie_members_commits_and_fetches():
    b = LogBroker("broker", ["m0", "m1"], partitions=2)
    ctx = Context("broker", ["m0", "m1"])
    b.on_message(ctx, "m0", JoinGroup())
    b.on_message(ctx, "m1", JoinGroup())
    assert b.generation == 2 and b.owner == {0: "m0", 1: "m1"}
    b.on_message(ctx, None, Produce("x", 1))
    p = partition_of("x", 2)
    ctx.take_effects()
    b.on_message(ctx, b.owner[p], Commit(p, 1, generation=1))     # an old generation: refused
    assert b.committed[p] == 0
    b.on_message(ctx, b.owner[p], Fetch(p, 0, generation=1))
    assert not [e for e in ctx.take_effects() if e[0] == 0]
    b.on_message(ctx, b.owner[p], Fetch(p, 0, generation=2))
    assert [e[2] for e in ctx.take_effects() if e[0] == 0] == [Records(p, 0, (("x", 1),))]

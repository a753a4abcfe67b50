"""The message queue: with acks and a durable broker no message is lost under random crashes and loss; an
idempotent store applies each effect once; auto-commit loses messages; poison messages are dead-lettered."""
import doctest

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.sim import Crash, run
from dsysedu.sim.node import Context
from dsysedu.systems.messaging import queue as mq
from dsysedu.systems.messaging.queue import (BROKER, Ack, Broker, Deliver, Publish, Receive, effects_once,
                                             no_message_lost, queue_scenario, queue_summary)

CRASHABLE = ["broker", "store", "c0", "c1"]
crash = st.builds(lambda n, at, d: Crash(n, at, at + d), st.sampled_from(CRASHABLE),
                  st.floats(0.0, 6.0), st.floats(0.05, 2.0))


def test_doctests():
    assert doctest.testmod(mq).failed == 0


@settings(max_examples=25, deadline=None)
@given(st.lists(crash, max_size=4), st.sampled_from([0.0, 0.05, 0.2]), st.integers(0, 10_000))
def test_no_message_lost_with_acks_and_a_durable_broker(faults, loss, seed):
    t = run(queue_scenario(count=30, rate=10.0, loss=loss, faults=faults, until=90.0), seed=seed)
    assert no_message_lost(t), no_message_lost(t)


@settings(max_examples=25, deadline=None)
@given(st.lists(crash, max_size=4), st.sampled_from([0.05, 0.2]), st.integers(0, 10_000))
def test_an_idempotent_store_applies_each_effect_once(faults, loss, seed):
    t = run(queue_scenario(count=30, rate=10.0, loss=loss, faults=faults, idempotent=True, until=90.0), seed=seed)
    assert effects_once(t) and no_message_lost(t)


def test_at_least_once_gives_duplicates_that_the_checker_catches():
    s = [queue_summary(run(queue_scenario(count=100, loss=0.1, until=60.0), seed=seed)) for seed in range(3)]
    assert all(x["duplicates"] > 0 and x["lost"] == 0 for x in s)
    t = run(queue_scenario(count=100, loss=0.1, until=60.0), seed=0)
    v = effects_once(t)
    assert not v and len(v.events) > 0


def test_auto_commit_before_processing_loses_messages_in_a_crash():
    faults = [Crash("c0", 3.0, 6.0), Crash("c1", 5.0, 7.0)]
    lost = [queue_summary(run(queue_scenario(count=200, ack="before", faults=faults, until=60.0), seed=s))["lost"]
            for s in range(3)]
    assert min(lost) > 0
    t = run(queue_scenario(count=200, ack="before", faults=faults, until=60.0), seed=0)
    assert not no_message_lost(t)


def test_poison_messages_go_to_the_dead_letter_queue_after_max_attempts():
    t = run(queue_scenario(count=50, poison=(3, 7), max_attempts=3, until=60.0), seed=1)
    s = queue_summary(t)
    assert s["dead_lettered"] == 2 and s["processed"] == 48 and s["lost"] == 0
    failed = t.observations("failed")
    assert sorted(failed.value.value_counts().to_dict().items()) == [(3, 3), (7, 3)]


def test_broker_handlers_visibility_timeout_and_redelivery():
    b = Broker(BROKER, ["producer", "c0"], visibility_timeout=1.0, max_attempts=2)
    ctx = Context(BROKER, ["producer", "c0"])
    b.on_message(ctx, "producer", Publish(0, "m0"))
    b.on_message(ctx, "producer", Publish(0, "m0"))          # a resend is confirmed, not stored twice
    assert len(b.ready) == 1
    ctx.take_effects()
    b.on_message(ctx, "c0", Receive())
    sends = [e for e in ctx.take_effects() if e[0] == 0]
    assert sends == [(0, "c0", Deliver(0, "m0", 1))] and 0 in b.inflight
    b.on_timer(ctx, ("visible", 0))                          # not acked in time: visible again
    assert b.ready == [(0, "m0", 1)] and not b.inflight
    b.on_message(ctx, "c0", Receive())
    b.on_timer(ctx, ("visible", 0))                          # second delivery, max_attempts 2: dead letter
    assert b.dead == [0] and not b.ready
    b.on_message(ctx, "c0", Ack(0))                          # a late ack changes nothing
    assert b.dead == [0] and b.acked == set()


def test_a_burst_is_shaved_by_the_queue():
    t = run(queue_scenario(count=300, rate=20.0, burst=(2.0, 4.0, 100.0), process_time=0.05, until=40.0), seed=3)
    tp = mq.throughput(t, bin_width=1.0)
    assert tp.arriving.max() > 60 and tp.processed.max() <= 2 / 0.05 + 1     # two consumers, 20/s each
    assert mq.backlog(t).max() > 50 and mq.backlog(t).iloc[-1] == 0
    waits = mq.message_latency(t)
    assert len(waits) == 300 and waits.index.is_monotonic_increasing and (waits > 0).all()
    assert waits[waits.index < 2].max() < waits[(waits.index > 3) & (waits.index < 4)].min()


@pytest.mark.parametrize("bad", [{"ack": "never"}, {"consumers": 0}, {"loss": 1.5}])
def test_bad_settings_are_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        run(queue_scenario(**bad), seed=0)

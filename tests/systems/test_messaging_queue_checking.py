"""The queue under the model checker: its three invariants hold in every reachable state of small models (state
counts pinned), and each broken variant is caught with a short counterexample."""
import doctest

import pytest

from dsysedu.check.model_checker import check
from dsysedu.systems.messaging import queue_checking
from dsysedu.systems.messaging.queue_checking import (QUEUE_INVARIANTS, VolatileBroker, acked_means_applied,
                                                      broker_keeps_messages, effects_once_invariant, queue_model)


def test_doctests():
    assert doctest.testmod(queue_checking).failed == 0


@pytest.mark.parametrize("kwargs,states", [({"count": 1}, 98), ({"count": 2}, 3888),
                                           ({"count": 2, "crashes": 1, "recoveries": 1}, 67502)])
def test_invariants_hold_in_every_state(kwargs, states):
    model = queue_model(**kwargs)
    for prop in QUEUE_INVARIANTS:
        r = check(model, prop)
        assert r.verdict == "ok" and r.states == states, (prop.name, r.verdict, r.states)


def test_a_plain_store_applies_an_effect_twice_when_a_timeout_beats_the_ack():
    r = check(queue_model(count=1, idempotent=False), effects_once_invariant)
    assert r.verdict == "violation"
    text = r.explain()
    assert "('visible', 0)" in text and text.count("deliver Apply(mid=0") == 2


def test_acking_before_applying_is_caught_with_a_crash():
    r = check(queue_model(count=1, ack="before", crashes=1), acked_means_applied)
    assert r.verdict == "violation"
    assert check(queue_model(count=1, ack="before"), acked_means_applied).verdict == "violation"   # even without


def test_a_broker_that_forgets_messages_out_is_caught():
    r = check(queue_model(count=1, broker=VolatileBroker, crashes=1, recoveries=1), broker_keeps_messages)
    assert r.verdict == "violation" and "recover broker" in r.explain()
    assert check(queue_model(count=1, broker=VolatileBroker), broker_keeps_messages).verdict == "ok"

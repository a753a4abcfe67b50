"""Idempotency keys, bulkheads and degradation, redundancy."""
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.sim import Crash, run
from dsysedu.systems.resilience import (VolatileKeysService, availability, bulkhead_scenario, effects, endpoint_table,
                                        idempotency_scenario, measured_availability, redundancy_scenario)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10 ** 6), st.floats(0.0, 0.6), st.integers(1, 3))
def test_with_keys_each_payment_has_one_effect(seed, loss, clients):
    e = effects(run(idempotency_scenario(True, loss=loss, payments=20, clients=clients), seed=seed))
    assert e["payments"] == 20 * clients
    assert e["effects"] == e["payments"] and e["duplicates"] == 0


def test_without_keys_lost_replies_become_double_charges():
    e = [effects(run(idempotency_scenario(False, loss=0.3), seed=s)) for s in range(3)]
    assert all(x["duplicates"] > 0 and x["effects"] == x["payments"] + x["duplicates"] for x in e)
    assert effects(run(idempotency_scenario(False, loss=0.0), seed=1))["duplicates"] == 0


def test_a_bulkhead_keeps_checkout_up_while_reports_are_slow():
    shared = endpoint_table(run(bulkhead_scenario("shared"), seed=1), since=7.0, until=15.0)
    separate = endpoint_table(run(bulkhead_scenario("separate"), seed=1), since=7.0, until=15.0)
    assert shared.loc["/checkout", "ok"] < 0.7 and separate.loc["/checkout", "ok"] == 1.0
    healthy = endpoint_table(run(bulkhead_scenario("shared"), seed=1), since=0.0, until=4.5)
    assert (healthy["ok"] == 1.0).all()


def test_degradation_answers_every_request():
    t = endpoint_table(run(bulkhead_scenario("shared", degrade=True), seed=1), since=7.0, until=15.0)
    assert (t["timeout"] == 0).all() and t.loc["/report", "fallback"] > 0.5


@pytest.mark.parametrize("n,k", [(1, 1), (2, 1), (3, 1), (3, 2)])
def test_simulated_availability_matches_the_formula(n, k):
    got = [measured_availability(run(redundancy_scenario(n, mttf=9.0, mttr=1.0, until=4000.0, seed=s)), k)
           for s in range(3)]
    assert sum(got) / 3 == pytest.approx(availability(n, 0.9, k), abs=0.01)


def test_the_formula():
    assert availability(1, 0.9) == pytest.approx(0.9)
    assert availability(2, 0.9) == pytest.approx(0.99)
    with pytest.raises(ValueError):
        availability(2, 0.9, k=3)


crash_windows = st.lists(st.tuples(st.floats(0.0, 8.0), st.floats(0.05, 1.0)), max_size=4)


def _crashes(windows):
    out, last = [], -1.0
    for a, d in sorted(windows):
        if a > last:
            out.append(Crash("service", at=a, until=a + d))
            last = a + d
    return out


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10 ** 6), crash_windows)
def test_durable_keys_keep_one_effect_per_payment_through_crashes(seed, windows):
    sc = idempotency_scenario(True, loss=0.2, payments=20, faults=_crashes(windows))
    e = effects(run(sc, seed=seed))
    assert e["payments"] == 40 and e["duplicates"] == 0


def test_keys_kept_in_memory_only_are_caught_by_the_count():
    dup = 0
    for seed in range(10):
        sc = idempotency_scenario(True, loss=0.3, payments=20, service=VolatileKeysService,
                                  faults=[Crash("service", at=t, until=t + 0.05) for t in (0.5, 1.5, 2.5, 3.5)])
        dup += effects(run(sc, seed=seed))["duplicates"]
    assert dup > 0

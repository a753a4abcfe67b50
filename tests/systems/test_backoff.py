"""Backoff and jitter: each policy's sleep stays in its range; Brooker's contention curves keep their shape."""
import random

import pytest
import tenacity
from hypothesis import given, settings, strategies as st

from dsysedu.sim import run
from dsysedu.systems.resilience import (BACKOFFS, backoff_sleep, contention_scenario, contention_summary,
                                        tenacity_sleep)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BACKOFFS), st.integers(0, 30), st.floats(0.0, 5.0), st.integers(0, 2 ** 32),
       st.floats(0.001, 0.1), st.floats(0.1, 10.0))
def test_each_policy_sleeps_within_its_range(policy, attempt, previous, seed, base, cap):
    s = backoff_sleep(policy, attempt, previous, random.Random(seed), base, cap)
    ceiling = min(cap, base * 2 ** attempt)
    if policy == "none":
        assert s == 0.0
    elif policy == "exponential":
        assert s == ceiling
    elif policy == "full":
        assert 0.0 <= s <= ceiling
    elif policy == "equal":
        assert ceiling / 2 <= s <= ceiling
    else:
        assert base <= s <= min(cap, 3 * max(previous, base)) or s == cap


def test_an_unknown_policy_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="decorrelated"):
        backoff_sleep("linear", 0, 0.0, random.Random(0))
    with pytest.raises(ValueError, match="backoff must be one of"):
        contention_scenario(5, backoff="linear")


def test_tenacity_exponential_is_ours_and_its_jitter_uses_the_node_stream():
    for n in range(8):
        ours = backoff_sleep("exponential", n, 0.0, random.Random(0), base=0.01, cap=1.0)
        assert tenacity_sleep(tenacity.wait_exponential(multiplier=0.01, max=1.0), n, random.Random(0)) == ours
    random.seed(123)
    before = random.random()
    random.seed(123)
    wait = tenacity.wait_random_exponential(multiplier=0.01, max=1.0)
    a = [tenacity_sleep(wait, n, random.Random(5)) for n in range(8)]
    assert a == [tenacity_sleep(wait, n, random.Random(5)) for n in range(8)]      # seeded: repeatable
    assert all(0.0 <= x <= min(1.0, 0.01 * 2 ** n) for n, x in enumerate(a))
    assert random.random() == before                                                # global stream untouched


def test_no_backoff_costs_n_n_plus_1_over_2_calls():
    for n in (5, 20):
        s = contention_summary(run(contention_scenario(n, "none"), seed=1))
        assert s["finished"] == n and s["calls"] == n * (n + 1) // 2


def _mean(policy, n=40, seeds=range(3)):
    runs = [contention_summary(run(contention_scenario(n, policy), seed=s)) for s in seeds]
    assert all(r["finished"] == n for r in runs)
    return {k: sum(r[k] for r in runs) / len(runs) for k in ("calls", "completion")}


def test_brookers_shape_jitter_cuts_the_work_and_exponential_alone_is_slow():
    m = {p: _mean(p) for p in BACKOFFS}
    for jittered in ("full", "equal", "decorrelated"):
        assert m[jittered]["calls"] < 0.4 * m["none"]["calls"]
        assert m[jittered]["calls"] < 0.4 * m["exponential"]["calls"]
    assert m["exponential"]["completion"] > 10 * m["full"]["completion"]
    assert m["equal"]["completion"] > m["full"]["completion"]      # "Equal Jitter is the loser"


def test_a_tenacity_strategy_drives_the_simulated_clients():
    wait = tenacity.wait_random_exponential(multiplier=0.01, max=1.0)
    a = run(contention_scenario(20, wait), seed=3)
    assert contention_summary(a)["finished"] == 20
    assert a.rows == run(contention_scenario(20, wait), seed=3).rows

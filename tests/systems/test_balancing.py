"""Balancing: the policies pick what they promise; with one slow backend the latency-aware ones keep the tail
short; hedging cuts the tail for a little extra load; two choices beat one in balls into bins."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.sim import Crash, run
from dsysedu.systems.discovery import (LAYOUTS, POLICIES, backend_names, balancing_scenario, balls_into_bins_table,
                                       choose, max_load)
from dsysedu.systems.resilience import request_rows, traffic_summary

loads = st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 9), min_size=1)


@settings(max_examples=200, deadline=None)
@given(loads, st.integers(0, 2 ** 32), st.integers(0, 100))
def test_policies_pick_what_they_promise(in_flight, seed, turn):
    choices = sorted(in_flight)
    rng = random.Random(seed)
    assert choose("round_robin", choices, in_flight, rng, turn) == choices[turn % len(choices)]
    assert in_flight[choose("least_connections", choices, in_flight, rng)] == min(in_flight.values())
    r = random.Random(seed)
    pick = choose("p2c", choices, in_flight, r)
    if len(choices) > 1:
        a, b = random.Random(seed).sample(choices, 2)
        assert pick in (a, b) and in_flight[pick] == min(in_flight[a], in_flight[b])
    cost = {c: 0.01 * (i + 1) for i, c in enumerate(choices)}
    assert choose("peak_ewma", choices, in_flight, rng, cost=cost) in choices


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("policy", POLICIES)
def test_every_request_is_answered_once_with_healthy_backends(policy, layout):
    t = run(balancing_scenario(policy, layout, backends=4, rate=100.0, slow=0, until=3.0), seed=2)
    rows = request_rows(t)
    assert len(rows) > 200 and (rows["outcome"] == "ok").all()
    assert not rows.duplicated(["caller", "rid"]).any()


def test_a_proxy_costs_a_hop_each_way():
    c = traffic_summary(run(balancing_scenario("round_robin", "client", slow=0, rate=50.0, hop=0.01), seed=1))
    p = traffic_summary(run(balancing_scenario("round_robin", "proxy", slow=0, rate=50.0, hop=0.01), seed=1))
    assert p["p50"] - c["p50"] == pytest.approx(0.02, abs=0.005)


def test_with_one_slow_backend_the_latency_aware_policies_keep_the_tail_short():
    p99 = {pol: traffic_summary(run(balancing_scenario(pol, "proxy", rate=250.0, until=20.0), seed=1), since=2.0)["p99"]
           for pol in POLICIES}
    assert p99["round_robin"] >= 1.0 and p99["random"] >= 1.0       # the slow backend's queue grows: timeouts
    assert p99["least_connections"] < 0.3 and p99["peak_ewma"] < 0.3


def test_hedged_requests_cut_the_tail_for_a_little_extra_load():
    common = dict(policy="random", rate=150.0, slow=0, service=0.005, workers=4, hiccup=(0.01, 0.5), until=20.0)
    plain = traffic_summary(run(balancing_scenario(**common), seed=1), since=2.0)
    hedged = traffic_summary(run(balancing_scenario(**common, hedge_after=0.02), seed=1), since=2.0)
    assert plain["p99.9"] > 0.4 and hedged["p99.9"] < 0.1
    assert hedged["attempts per request"] < 1.1


def test_the_breaker_ejects_a_crashed_backend():
    sc = balancing_scenario("round_robin", backends=3, slow=0, rate=60.0, timeout=0.2, breaker=(2, 1.0), until=6.0)
    t = run(sc.replace(faults=[Crash("b00", at=1.0, until=4.0)]), seed=1)
    ejected = [e.time for e in t.events if e.kind == "observe" and e.data == "ejected" and e.value == "b00"]
    assert ejected and 1.0 < ejected[0] < 1.5
    late = traffic_summary(t, since=1.5, until=4.0)
    assert late["timeout"] < 0.1 * late["requests"]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="policy must be one of"):
        balancing_scenario("fastest")
    with pytest.raises(ValueError, match="layout"):
        balancing_scenario(layout="mesh")
    with pytest.raises(ValueError, match="hedged"):
        balancing_scenario(layout="proxy", hedge_after=0.1)
    assert backend_names(2) == ["b00", "b01"]


def test_two_choices_beat_one():
    for seed in range(5):
        assert max_load(10_000, 2, seed=seed) < max_load(10_000, 1, seed=seed)
    table = balls_into_bins_table(sizes=(100, 10_000), seeds=range(3))
    assert (table["d=2"] < table["d=1"]).all() and table.loc[10_000, "d=2"] <= 4
    assert max_load(50, 1, balls=0, seed=1) == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10 ** 6), st.sampled_from(POLICIES), st.sampled_from(LAYOUTS), st.integers(0, 2),
       st.booleans(), st.lists(st.tuples(st.sampled_from(("b00", "b01", "b02")), st.floats(0.0, 3.0),
                                         st.floats(0.05, 1.5)), max_size=4))
def test_under_random_backend_crashes_every_request_ends_once(seed, policy, layout, retries, hedge, crashes):
    faults, last = [], {}
    for node, at, down in sorted(crashes, key=lambda c: c[1]):
        if at > last.get(node, -1.0):
            faults.append(Crash(node, at=at, until=at + down))
            last[node] = at + down
    sc = balancing_scenario(policy, layout, backends=3, clients=2, rate=60.0, slow=1, timeout=0.3, retries=retries,
                            backoff="full", hedge_after=0.05 if hedge and layout == "client" else None,
                            breaker=(2, 0.5), until=4.0).replace(faults=faults)
    trace = run(sc, seed=seed)
    rows = request_rows(trace)
    assert not rows.duplicated(["caller", "rid"]).any()
    for caller, group in rows.groupby("caller"):        # request ids 1..n, none skipped (each ended or is pending)
        assert set(group.rid) <= set(range(1, group.rid.max() + 1))
    limit = retries + 1 + (1 if hedge else 0)
    assert rows.attempts.between(0, limit).all()
    # a request is refused only when the breaker has ejected every target it could use
    ejected = [e.time for e in trace.events if e.kind == "observe" and e.data == "ejected"]
    refused = rows[rows.outcome == "refused"]
    assert refused.empty or (ejected and min(ejected) <= (refused.start + refused.latency).min())

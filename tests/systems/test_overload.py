"""Queue servers and callers: every request ends once; storms outlive their trigger; shedding and budgets end them."""
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.sim import Crash, LinkModel, Scenario, run
from dsysedu.systems.resilience import (Caller, QueueServer, goodput_series, offered_load_scenario, queue_series,
                                        request_rows, storm_scenario, traffic_summary)


def test_the_storm_outlives_its_trigger_and_only_a_remedy_ends_it():
    none, shed, budget = (run(storm_scenario(r), seed=s) for r, s in (("none", 1), ("shedding", 1), ("budget", 1)))
    before = traffic_summary(none, since=1.0, until=4.5)
    assert before["goodput"] > 60 and before["timeout"] == 0          # healthy at 70 % load
    late = traffic_summary(none, since=15.0)                          # the trigger ended at 7 s
    assert late["goodput"] < 1 and late["server load"] > 100          # over capacity (100/s), nothing useful
    for t in (shed, budget):
        s = traffic_summary(t, since=15.0)
        assert s["goodput"] > 60 and s["ok"] == s["requests"]


@pytest.mark.parametrize("seed", range(3))
def test_goodput_collapses_past_capacity_without_shedding(seed):
    over = {sh: traffic_summary(run(offered_load_scenario(150.0, sh), seed=seed), since=5.0) for sh in (False, True)}
    assert over[False]["goodput"] < 5 and over[True]["goodput"] > 90
    under = traffic_summary(run(offered_load_scenario(50.0, False), seed=seed), since=5.0)
    assert under["ok"] == under["requests"]


def test_the_retry_budget_bounds_the_extra_attempts():
    s = traffic_summary(run(storm_scenario("budget"), seed=2))
    assert s["attempts per request"] <= 1.1 + 0.05


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10 ** 6), st.integers(0, 3), st.sampled_from(("none", "full", "decorrelated")),
       st.one_of(st.none(), st.integers(1, 20)), st.lists(st.tuples(st.floats(0.0, 4.0), st.floats(0.05, 1.0)),
                                                          max_size=3), st.booleans())
def test_every_request_ends_once_under_random_crashes(seed, retries, backoff, limit, crashes, breaker):
    faults = [Crash("s1", at=a, until=a + d) for a, d in sorted(crashes)]
    faults = [f for i, f in enumerate(faults) if i == 0 or f.at > faults[i - 1].until]
    sc = Scenario({"c": Caller, "s0": QueueServer, "s1": QueueServer}, nodes=["c", "s0", "s1"],
                  node_params={"c": {"targets": ("s0", "s1"), "rate": 80.0, "timeout": 0.2, "retries": retries,
                                     "backoff": backoff, "stop": 4.0, "breaker": (2, 0.5) if breaker else None},
                               "s0": {"queue_limit": limit}, "s1": {"queue_limit": limit}},
                  link=LinkModel(latency=0.002), faults=faults, until=6.0)
    trace = run(sc, seed=seed)
    rows = request_rows(trace)
    started = max((e.value[0] for e in trace.events if e.kind == "observe" and e.data == "request"), default=0)
    assert rows["rid"].is_unique and sorted(rows["rid"]) == list(range(1, started + 1))
    assert rows["attempts"].between(0, retries + 1).all()
    assert set(rows["outcome"]) <= {"ok", "timeout", "shed", "refused"}
    if limit is not None:
        q = queue_series(trace)
        assert q.max().max() <= limit
    if not faults and limit is None:
        assert (rows["outcome"] == "ok").all()


def test_reading_helpers():
    t = run(storm_scenario("shedding", until=5.0), seed=1)
    g = goodput_series(t, 1.0)
    assert list(g.columns) == ["goodput", "server load"] and len(g) == 5
    assert list(queue_series(t).columns) == ["server"]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="remedy"):
        storm_scenario("pray")
    with pytest.raises(ValueError, match="slow"):
        Scenario(QueueServer, nodes=["s"], params={"slow": (3.0, 1.0, 2.0)}).run()
    with pytest.raises(ValueError, match="breaker"):
        Caller("c", breaker=3)
    with pytest.raises(ValueError, match="targets"):
        Caller("c", targets=())

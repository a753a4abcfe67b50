"""The registry: a dead instance stays visible for about its TTL; a recovered one comes back."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.sim import Crash, run
from dsysedu.systems.discovery import registry_scenario, stale_window


@settings(max_examples=40, deadline=None)
@given(st.floats(0.2, 1.0), st.floats(1.5, 6.0), st.floats(0.1, 1.0), st.floats(0.1, 1.0), st.booleans(),
       st.floats(2.0, 6.0), st.integers(0, 10 ** 6))
def test_the_stale_window_lies_between_ttl_minus_a_beat_and_ttl_plus_sweep_and_poll(heartbeat, ttl, sweep, poll,
                                                                                    watch, crash_at, seed):
    sc = registry_scenario(ttl=ttl, heartbeat=heartbeat, sweep=sweep, poll=poll, watch=watch, crash_at=crash_at,
                           until=crash_at + ttl + 3.0)
    w = stale_window(run(sc, seed=seed))
    slack = 0.02                                                   # message latencies
    assert ttl - heartbeat - slack <= w <= ttl + sweep + (0 if watch else poll) + slack


def test_watching_is_quicker_than_polling_on_average():
    mean = {watch: sum(stale_window(run(registry_scenario(watch=watch), seed=s)) for s in range(8)) / 8
            for watch in (False, True)}
    assert mean[True] < mean[False]


def test_a_recovered_instance_registers_again():
    sc = registry_scenario(crash_at=None, until=12.0).replace(faults=[Crash("s0", at=2.0, until=7.0)])
    t = run(sc, seed=1)
    views = [(e.time, e.value) for e in t.events if e.kind == "observe" and e.node == "c0" and e.data == "view"]
    assert any("s0" not in v and 2.0 < time < 7.0 for time, v in views)
    assert "s0" in views[-1][1]
    assert math.isnan(stale_window(run(registry_scenario(crash_at=None), seed=1)))


def test_a_ttl_shorter_than_the_heartbeat_is_refused():
    with pytest.raises(ValueError, match="ttl must be longer than the heartbeat"):
        registry_scenario(ttl=1.0, heartbeat=2.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10 ** 6), st.lists(st.tuples(st.sampled_from(("s0", "s1", "s2")), st.floats(0.5, 10.0),
                                                   st.floats(0.2, 6.0)), max_size=5), st.booleans())
def test_under_random_crashes_no_client_sees_an_instance_dead_longer_than_the_bound(seed, crashes, watch):
    ttl, heartbeat, sweep, poll = 2.0, 0.5, 0.25, 0.5
    faults, last = [], {}
    for node, at, down in sorted(crashes, key=lambda c: c[1]):
        if at > last.get(node, -1.0):
            faults.append(Crash(node, at=at, until=at + down))
            last[node] = at + down
    sc = registry_scenario(ttl=ttl, heartbeat=heartbeat, sweep=sweep, poll=poll, watch=watch, crash_at=None,
                           until=20.0).replace(faults=faults)
    t = run(sc, seed=seed)
    bound = ttl + sweep + (0 if watch else poll) + 0.05
    for f in faults:
        if f.until - f.at > bound:
            views = t.value_at("view", f.at + bound)
            assert all(f.node not in v for c, v in views.items() if str(c).startswith("c")), (f, views)
        if f.until < 20.0 - 2.0:           # back up: registered again and seen within a polling period or so
            views = t.value_at("view", min(20.0, f.until + poll + 0.1))
            assert all(f.node in v for c, v in views.items() if str(c).startswith("c"))

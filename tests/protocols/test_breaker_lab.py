"""The breaker lab: our breaker and pybreaker agree call by call; the presets against a sick dependency."""
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.sim import run
from dsysedu.systems.resilience import (CLOSED, HALF_OPEN, OPEN, PRESETS, SickService, WindowBreaker,
                                        breaker_lab_scenario, breaker_lab_summary, breaker_states, drive_ours,
                                        drive_pybreaker)

pytest.importorskip("pybreaker")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from((0.125, 0.5, 1.0, 3.0))), min_size=1, max_size=60),
       st.integers(1, 5), st.sampled_from((0.5, 1.0, 2.0)))
def test_ours_and_pybreaker_agree_call_by_call(calls, threshold, cooldown):
    # gaps that binary floats hold exactly: pybreaker's clock has microsecond resolution, ours not,
    # so a call at 4.0 + 5 * 0.1 s (4.4999...) is "after the cooldown" for pybreaker only
    outcomes = [ok for ok, _gap in calls]
    times, t = [], 0.0
    for _ok, gap in calls:
        times.append(t)
        t += gap
    assert drive_ours(outcomes, times, threshold, cooldown) == drive_pybreaker(outcomes, times, threshold, cooldown)


def test_a_known_sequence_and_a_difference_that_is_caught():
    outcomes = [False, False, True, True, False, True]
    times = [0.0, 1.0, 2.0, 3.5, 4.0, 5.0]
    ours = drive_ours(outcomes, times, threshold=2, cooldown=2.0)
    assert ours == [(CLOSED, False), (OPEN, False), (OPEN, True), (CLOSED, False), (CLOSED, False), (CLOSED, False)]
    assert drive_pybreaker(outcomes, times, fail_max=2, reset_timeout=2.0) == ours
    assert drive_pybreaker(outcomes, times, fail_max=3, reset_timeout=2.0) != ours


def test_presets_against_a_sick_dependency():
    s = {p: breaker_lab_summary(run(breaker_lab_scenario(p), seed=7)) for p in PRESETS}
    assert s["none"]["refused"] == 0 and s["none"]["mean_latency_sick"] > 0.99 and s["none"]["load_sick"] == 600
    for p in ("ours", "pybreaker", "Hystrix", "resilience4j"):
        assert s[p]["refused"] > 0.8 and s[p]["load_sick"] < 0.2 * s["none"]["load_sick"]
        assert s[p]["mean_latency_sick"] < 0.2
    # the long open times of pybreaker and resilience4j keep a healthy dependency cut off for half a minute
    assert s["ours"]["back_after"] < 1.0 < s["Hystrix"]["back_after"] < 5.0 < 30 < s["pybreaker"]["back_after"]
    assert s["resilience4j"]["back_after"] > 30


def test_states_trace_has_a_lane_per_breaker():
    traces = {p: run(breaker_lab_scenario(p, until=50.0), seed=7) for p in ("ours", "Hystrix")}
    merged = breaker_states(traces)
    assert merged.nodes[0] == "dependency" and set(merged.nodes) == {"dependency", "ours", "Hystrix"}
    seen = set(merged.observations("breaker")["value"])
    assert {CLOSED, OPEN, HALF_OPEN, "healthy", "sick"} <= seen


def test_bad_parameters():
    with pytest.raises(ValueError, match="preset"):
        breaker_lab_scenario("netflix")
    with pytest.raises(TypeError):
        breaker_lab_scenario(3)
    with pytest.raises(ValueError, match="rule"):
        WindowBreaker("breaker", rule="sometimes")
    with pytest.raises(ValueError, match="sick"):
        SickService("service", sick=((5.0, 1.0),))


def test_model_modes_and_moves_are_pinned_and_allowed():
    from dsysedu.systems.resilience import ALLOWED_TRANSITIONS, EagerBreaker, breaker_model, mode_transitions
    seen = mode_transitions()
    assert seen["states"] == {CLOSED: 80, OPEN: 10, HALF_OPEN: 8}          # 98 in all, as pinned
    assert set(seen["moves"]) == ALLOWED_TRANSITIONS
    eager = mode_transitions(breaker_model(EagerBreaker))
    assert set(eager["moves"]) == ALLOWED_TRANSITIONS and eager["states"][HALF_OPEN] > 8   # more half-open states

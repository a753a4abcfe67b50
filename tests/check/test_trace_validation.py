"""Trace validation: a run of the implementation replayed through the model's transition relation."""
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import Crash, LinkModel, Uniform, run
from dsysedu.check import Verdict, validate_trace, trace_actions
from dsysedu.check.model_checker import Model
from dsysedu import Scenario
from dsysedu.protocols.coordination.fencing_model import (FencedStore, ForgetfulLock, LeaseHolder, LeaseLock,
                                                           lease_model, lease_model_scenario)


def patient(lock):
    """Two holders that ask up to 20 times, so that both are granted, one after the other."""
    return Scenario({"lock": lock, "storage": FencedStore, "c1": LeaseHolder, "c2": LeaseHolder},
                    nodes=["lock", "storage", "c1", "c2"], node_params={c: {"asks": 20} for c in ("c1", "c2")})
from dsysedu.protocols.transactions.twopc import MajorityCoordinator, twopc_model, twopc_scenario


def test_the_specification_validates_its_own_runs():
    for seed in range(5):
        v = validate_trace(lease_model(2), run(lease_model_scenario(2), seed=seed))
        assert v.ok and v.steps > 5 and v.verdict().ok


def test_a_different_lock_is_caught_at_the_first_grant_it_changes():
    # ForgetfulLock resets its counter: token 1 again on the second grant, where the spec says 2
    trace = run(patient(ForgetfulLock), seed=7)
    assert validate_trace(Model(patient(LeaseLock)), run(patient(LeaseLock), seed=7)).ok
    v = validate_trace(Model(patient(LeaseLock)), trace)
    assert not v.ok
    event = trace.events[v.seq]
    assert event.kind == "deliver" and event.node == "lock"
    assert [m.token for _d, m in v.implementation] == [1] and [m.token for _d, m in v.model] == [2]
    verdict = v.verdict()
    assert isinstance(verdict, Verdict) and not verdict.ok and verdict.events == (v.seq,)


def test_an_event_the_model_never_enables_is_refused():
    # the majority coordinator decides after two votes; its decision message does not exist in the spec
    trace = run(twopc_scenario(3, MajorityCoordinator), seed=3)
    v = validate_trace(twopc_model(3, symmetric=False), trace)
    assert not v.ok and "model" in v.reason


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), crash_at=st.floats(0.0, 0.2))
def test_runs_of_the_spec_under_crashes_and_jitter_validate(seed, crash_at):
    # crashes of a participant: give the model the crash budget the trace uses
    sc = twopc_scenario(3, link=LinkModel(latency=Uniform(0.001, 0.05)), faults=[Crash("p3", at=crash_at)],
                        until=2.0)
    trace = run(sc, seed=seed)
    crashes = sum(r[1] == "crash" for r in trace.rows)
    v = validate_trace(twopc_model(3, symmetric=False, crashes=crashes), trace)
    assert v.ok, v


def test_trace_actions_pairs_each_step_with_its_sends():
    trace = run(lease_model_scenario(2), seed=7)
    steps = trace_actions(trace)
    first = steps[0]
    assert first[1].kind == "deliver" and first[1].node == "lock" and len(first[2]) == 1


def test_bad_arguments():
    trace = run(lease_model_scenario(2), seed=7)
    with pytest.raises(TypeError):
        validate_trace("model", trace)
    with pytest.raises(TypeError):
        validate_trace(lease_model(2), "trace")
    with pytest.raises(ValueError, match="nodes"):
        validate_trace(lease_model(3), trace)
    with pytest.raises(TypeError):
        trace_actions(None)

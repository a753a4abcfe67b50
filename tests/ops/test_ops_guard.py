"""The guard never lets an action outside its bounds through, whatever the model answers."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu.ops.autoscaling import HPA, daily_load, simulate
from dsysedu.ops.guard import (Bounds, Guard, GuardedScaler, MisbehavingModel, Observation, Proposal,
                               SCALER_INTERFACE)


class Fixed:
    """A model that answers what it is told to."""
    def __init__(self, answer=None, error=None):
        self.answer, self.error = answer, error

    def propose(self, obs):
        if self.error:
            raise self.error
        return self.answer


class Constant:
    def __init__(self, n):
        self.n = n

    def recommend(self, now, current, ready, rps):
        return self.n


answers = st.one_of(
    st.builds(Proposal, st.one_of(st.integers(-10**9, 10**9), st.floats(allow_nan=True, allow_infinity=True),
                                  st.none(), st.text(max_size=3), st.booleans()),
              st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5))),
    st.none(), st.integers(), st.text(max_size=3))


@settings(max_examples=400, deadline=None)
@given(answer=answers, raises=st.booleans(), current=st.integers(1, 300), rps=st.floats(0, 1e5),
       lo=st.integers(1, 20), span=st.integers(0, 200), step=st.integers(1, 30), fallback=st.integers(-10**6, 10**6))
def test_no_action_outside_the_bounds(answer, raises, current, rps, lo, span, step, fallback):
    bounds = Bounds(min_replicas=lo, max_replicas=lo + span, max_step=step, deadline=0.5)
    guard = Guard(bounds, per_replica=50.0)
    d = guard.decide(Observation(0.0, current, current, rps), Fixed(answer, RuntimeError() if raises else None),
                     Constant(fallback))
    assert isinstance(d.replicas, int) and bounds.min_replicas <= d.replicas <= bounds.max_replicas
    if bounds.min_replicas <= current <= bounds.max_replicas:
        assert abs(d.replicas - current) <= bounds.max_step
    assert d.source in ("model", "fallback")


def test_each_kind_of_bad_answer_falls_back_with_its_reason():
    guard = Guard(Bounds(2, 100, 10, deadline=1.0), per_replica=50.0, strikes=100)
    obs = Observation(0.0, 10, 10, 400.0)
    cases = {"late": Fixed(Proposal(12, took=2.0)), "not a replica count": Fixed(Proposal(float("nan"))),
             "model raised RuntimeError": Fixed(error=RuntimeError("503")), "answer is not a Proposal": Fixed(12),
             "wrong: below the load it was shown": Fixed(Proposal(3))}
    for reason, model in cases.items():
        d = guard.decide(obs, model, Constant(11))
        assert (d.source, d.reason, d.replicas) == ("fallback", reason, 11)
    ok = guard.decide(obs, Fixed(Proposal(13, took=0.1)), Constant(11))
    assert (ok.source, ok.reason, ok.replicas, ok.clipped) == ("model", "ok", 13, False)
    big = guard.decide(obs, Fixed(Proposal(10**6)), Constant(11))
    assert (big.source, big.replicas, big.clipped) == ("model", 20, True)       # at most max_step up


def test_strikes_trip_the_guard_for_a_cooldown():
    guard = Guard(Bounds(2, 100, 10), per_replica=50.0, strikes=3, cooldown=60.0)
    bad, good = Fixed(error=RuntimeError()), Fixed(Proposal(10))
    for t in (0.0, 15.0, 30.0):
        assert guard.decide(Observation(t, 10, 10, 100.0), bad, Constant(9)).reason == "model raised RuntimeError"
    assert guard.decide(Observation(45.0, 10, 10, 100.0), good, Constant(9)).reason == "tripped: cooling down"
    assert guard.decide(Observation(90.0, 10, 10, 100.0), good, Constant(9)).reason == "ok"


def test_a_misbehaving_model_in_a_whole_run_stays_inside_the_bounds():
    load = daily_load(days=1, seed=2)
    hpa = HPA(target=50.0)
    model = MisbehavingModel(HPA_model(), p_late=0.1, p_wild=0.1, p_garbage=0.1, p_raise=0.1, p_wrong=0.1, seed=2)
    bounds = Bounds(min_replicas=3, max_replicas=40, max_step=4)
    scaler = GuardedScaler(model, Guard(bounds, per_replica=60.0), hpa)
    run = simulate(load, scaler, initial=3)
    f = run.frame
    assert f["replicas"].between(3, 40).all() and (f["replicas"].diff().abs().fillna(0) <= 4).all()
    log = scaler.log()
    assert set(log["reason"]) >= {"ok", "late", "not a replica count", "model raised RuntimeError",
                                  "wrong: below the load it was shown"}
    assert sum(model.counts.values()) == (log["reason"] != "tripped: cooling down").sum()
    # seeded: the same misbehaviour twice
    again = simulate(load, scaler, initial=3)
    assert again.frame.equals(f)


class HPA_model:                                   # noqa: N801
    """A good model: what the reactive rule would say, as a Proposal."""
    def propose(self, obs):
        return Proposal(max(2, math.ceil(obs.rps / 50.0)), 0.01)


def test_the_interface_lists_the_contract():
    table = SCALER_INTERFACE(Bounds(2, 100, 10, 1.0)).table()
    assert set(table["part"]) == {"inputs", "outputs", "constraints", "feedback"}
    assert "replicas >= 2" in set(table["item"])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        Bounds(min_replicas=5, max_replicas=2)
    with pytest.raises(ValueError, match="add up"):
        MisbehavingModel(HPA_model(), p_late=0.6, p_wild=0.6)
    with pytest.raises(TypeError):
        GuardedScaler(object(), Guard(), HPA())

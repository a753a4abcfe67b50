"""Circuit breaker: its invariants hold in every state, half-open recovers, the eager variant is caught."""
import pytest

from dsysedu.check.model_checker import check
from dsysedu.systems.resilience.circuit_breaker import (BREAKER, CLOSED, HALF_OPEN, OPEN, CircuitBreaker, EagerBreaker,
                                               breaker_model, breaker_scenario, invariants, one_trial, recovers)
from dsysedu.sim import run
from reachable import reachable


def test_invariants_hold():
    for threshold in (1, 2, 3):
        for p in invariants:
            r = check(breaker_model(threshold=threshold), p)
            assert r.verdict == "ok", r


def brute_force_breaker(threshold, max_in_flight=2):
    """The breaker and the service written again as a bare transition system: the number of reachable
    states. State: (state, previous, failures, in_flight, healthy, calls, oks, fails, cooldown pending);
    the request and flip timers are always pending (each firing sets them again)."""
    init = (CLOSED, None, 0, 0, True, 0, 0, 0, False)

    def succ(s):
        st, prev, fails_n, out, healthy, calls, oks, fails, cool = s
        allowed = out < max_in_flight if st == CLOSED else (out == 0 if st == HALF_OPEN else False)
        yield (st, prev, fails_n, out + 1, healthy, calls + 1, oks, fails, cool) if allowed else s   # request
        yield (st, prev, fails_n, out, not healthy, calls, oks, fails, cool)                          # flip
        if cool:                                                                                      # cooldown
            yield (HALF_OPEN, OPEN, fails_n, out, healthy, calls, oks, fails, False) if st == OPEN else \
                (st, prev, fails_n, out, healthy, calls, oks, fails, False)
        if calls:                                                                                     # a call arrives
            yield (st, prev, fails_n, out, healthy, calls - 1, oks + healthy, fails + (not healthy), cool)
        if oks:
            if out == 0:
                yield (st, prev, fails_n, out, healthy, calls, oks - 1, fails, cool)
            elif st == HALF_OPEN:
                yield (CLOSED, HALF_OPEN, 0, out - 1, healthy, calls, oks - 1, fails, cool)
            else:
                yield (st, prev, 0, out - 1, healthy, calls, oks - 1, fails, cool)
        if fails:
            base = (healthy, calls, oks, fails - 1)
            if out == 0:
                yield (st, prev, fails_n, out, *base, cool)
            elif st == HALF_OPEN or (st == CLOSED and fails_n + 1 >= threshold):
                yield (OPEN, st, 0, out - 1, *base, True)                                             # trip
            elif st == CLOSED:
                yield (st, prev, fails_n + 1, out - 1, *base, cool)
            else:
                yield (st, prev, fails_n, out - 1, *base, cool)

    return len(reachable(init, succ))


def test_pinned_count():
    counts = [check(breaker_model(threshold=t), invariants[0]).states for t in (1, 2, 3)]
    assert counts == [brute_force_breaker(t) for t in (1, 2, 3)]
    assert counts[1] == 98


def test_half_open_then_closed_witness():
    r = check(breaker_model(), recovers)
    assert r.ok and r.path is not None
    states = [r.model.view(s)[BREAKER].mode for s in r.states_on_path]
    assert states[-1] == CLOSED and HALF_OPEN in states and OPEN in states
    # the witness passes through open, then half-open, then closed, in that order
    i_open = states.index(OPEN)
    i_half = states.index(HALF_OPEN, i_open)
    assert i_open < i_half < len(states) - 1
    assert len(r.path) == 11


def test_eager_breaker_is_caught():
    assert check(breaker_model(EagerBreaker, max_in_flight=1), one_trial).verdict == "ok"   # cannot show it
    r = check(breaker_model(EagerBreaker), one_trial)
    assert r.verdict == "violation"
    assert r.model.view(r.states_on_path[-1])[BREAKER].in_flight == 2


@pytest.mark.parametrize("seed", range(5))
def test_simulated_breaker_opens_and_closes(seed):
    trace = run(breaker_scenario(CircuitBreaker, until=30.0), seed=seed)
    states = [r[6] for r in trace.rows if r[1] == "observe" and r[5] == "breaker"]
    assert states[0] == CLOSED
    assert OPEN in states and HALF_OPEN in states
    for a, b in zip(states[1:], states[2:]):
        assert (a, b) in {(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED), (HALF_OPEN, OPEN)}

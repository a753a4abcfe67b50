"""Chapter 9 exercises: the references pass and agree with the chapter's code, typical wrong answers fail with
feedback that names the case, and the student version fails until written."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from dsysedu.exercises import check
from dsysedu.exercises.ch9 import burn_rate_firing_reference, health_states_reference, steady_state_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.ops.healing import CONTROLLER, Controller, HealthReport
from dsysedu.sim.node import Context

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "09_operations.ipynb"


def test_reference_solutions_pass():
    assert check("ch9-burn-rate", burn_rate_firing_reference).passed
    assert check("ch9-steady-state", steady_state_reference).passed
    assert check("ch9-hysteresis", health_states_reference).passed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=40), st.integers(1, 12),
       st.integers(1, 12), st.sampled_from([0.9, 0.99, 0.999]), st.sampled_from([1.0, 6.0, 14.4]))
def test_burn_rate_reference_agrees_with_a_loop_over_the_windows(counts, long, short, slo, factor):
    long, short = max(long, short), min(long, short)
    bad = [min(b, t) for b, t in counts]
    total = [t for _b, t in counts]

    def share(i, k):
        b, t = sum(bad[max(0, i - k + 1):i + 1]), sum(total[max(0, i - k + 1):i + 1])
        return b / t if t else 0.0
    limit = factor * (1 - slo)
    slow = [share(i, long) / (1 - slo) > factor and share(i, short) / (1 - slo) > factor for i in range(len(bad))]
    # the two ways of comparing (share > limit, burn > factor) may differ only at the float boundary
    fast = burn_rate_firing_reference(bad, total, slo, factor, long, short)
    for i, (a, b) in enumerate(zip(fast, slow)):
        assert a == b or min(abs(share(i, long) - limit), abs(share(i, short) - limit)) < 1e-12


def test_hysteresis_reference_is_the_controllers_rule():
    checks = [True, False, True, False, False, False, True, False, True, True, True, False, False, False, False]
    for fall, rise in ((1, 1), (3, 2), (2, 3)):
        c = Controller(CONTROLLER, workers=("w0",), desired=1, fall=fall, rise=rise)
        ctx = Context(CONTROLLER, peers=("w0",))
        states = []
        for seq, ok in enumerate(checks, start=1):
            c.seq = seq
            if ok:
                c.on_message(ctx, "w0", HealthReport(seq, ("r0",), ()))
            c.observe_health(ctx)
            states.append(c.health["w0"])
        assert states == health_states_reference(checks, fall, rise)


def test_steady_state_reference_reads_an_sli_frame():
    frame = pd.DataFrame({"requests": [10, 0, 10], "bad": [0, 0, 1], "p99": [0.03, np.nan, 0.05]})
    rows = list(frame.itertuples(index=False))
    assert steady_state_reference(rows, 0.05, 0.1) and not steady_state_reference(rows, 0.04, 0.1)
    assert not steady_state_reference(rows, 0.05, 0.04)


def test_a_burn_rate_rule_with_only_the_long_window_fails():
    fb = check("ch9-burn-rate", lambda bad, total, slo, factor, long, short: [
        sum(bad[max(0, i - long + 1):i + 1]) / max(1, sum(total[max(0, i - long + 1):i + 1])) > factor * (1 - slo)
        for i in range(len(bad))])
    assert not fb.passed and any("short window" in desc for desc, *_ in fb.failures)


def test_a_steady_state_that_averages_per_window_shares_fails():
    def per_window(windows, max_bad_share, max_p99):
        shares = [b / r for r, b, p in windows if r]
        return (not shares or max(shares) <= max_bad_share) and all(
            p <= max_p99 for r, b, p in windows if r and not math.isnan(p))
    fb = check("ch9-steady-state", per_window)
    assert not fb.passed and "whole stretch" in fb.text()


def test_hysteresis_without_rise_fails():
    def no_rise(checks, fall, rise):
        return health_states_reference(checks, fall, 1)
    fb = check("ch9-hysteresis", no_rise)
    assert not fb.passed and "rise" in fb.text()


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "limit = factor" not in code and "state, failed, passed" not in code
    assert code.count("raise NotImplementedError()") == 3
    assert len(feedback) == 3 and all("not written yet" in f and "Hint" in f for f in feedback)

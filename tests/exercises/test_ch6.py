"""Chapter 6 exercises: the references pass and agree with the chapter's code, typical wrong answers fail with
feedback that names the case, and the student version fails until written."""
import math
from pathlib import Path

import numpy as np

from dsysedu.exercises import check
from dsysedu.exercises.ch6 import guard_reference, hpa_reference, stabilised_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.ops.autoscaling import HPA
from dsysedu.ops.guard import Bounds, Guard, Observation, Proposal

EXERCISE_NB = Path(__file__).resolve().parents[2] / "notebooks" / "exercises" / "06_ai_and_humans.ipynb"


def test_reference_solutions_pass():
    for name, ref in (("ch6-hpa", hpa_reference), ("ch6-stabilise", stabilised_reference),
                      ("ch6-guard", guard_reference)):
        assert check(name, ref).passed


def test_the_stabilisation_reference_is_the_hpa_class():
    rng = np.random.default_rng(0)
    for _ in range(30):
        hpa, current, history = HPA(target=50.0, min_replicas=1, max_replicas=10_000), 10, []
        for step in range(60):
            now, rps = step * 15.0, float(rng.uniform(50, 1500))
            got = hpa.recommend(now, current, current, rps)
            history.append((now, hpa.recent[-1][1]))
            assert got == stabilised_reference(history, current, 300.0)
            current = got


class _Answer:
    def __init__(self, p):
        self.p = p

    def propose(self, obs):
        return Proposal(self.p, 0.0)


class _Fallback:
    def __init__(self, n):
        self.n = n

    def recommend(self, *a):
        return self.n


def test_the_guard_reference_is_the_guard_when_the_answer_is_not_judged_wrong():
    for current, p, fb in [(10, 12, 11), (10, 10**6, 11), (10, None, 11), (10, float("nan"), 13), (6, 7.0, 12),
                           (10, True, 11), (10, 3.5, 12), (48, 60, 48)]:
        guard = Guard(Bounds(2, 50, 5), per_replica=1e9)            # every count carries the load
        d = guard.decide(Observation(0.0, current, current, 0.0), _Answer(p), _Fallback(fb))
        assert d.replicas == guard_reference(current, p, fb, 2, 50, 5)


def test_hpa_without_the_tolerance_fails():
    fb = check("ch6-hpa", lambda c, m, t, tol: math.ceil(c * m / t))
    assert not fb.passed and "tolerance" in fb.text()


def test_stabilise_that_scales_down_at_once_fails():
    fb = check("ch6-stabilise", lambda recs, current, window: recs[-1][1])
    assert not fb.passed and "window" in fb.text()


def test_guard_that_forgets_the_step_fails():
    def no_step(current, p, fb, lo, hi, step):
        ok = isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p) and p == int(p)
        return min(hi, max(lo, int(p) if ok else fb))
    fb = check("ch6-guard", no_step)
    assert not fb.passed and "max_step" in fb.text()


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "abs(ratio - 1)" not in code and "now - window" not in code
    assert code.count("raise NotImplementedError()") == 3
    assert len(feedback) == 3 and all("not written yet" in f and "Hint" in f for f in feedback)

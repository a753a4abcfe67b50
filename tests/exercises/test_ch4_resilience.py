"""Chapter 4.3/4.4 exercises: the references pass and agree with the chapters' code, typical wrong answers fail
with feedback that names the case, and the student version fails until written."""
import random
from pathlib import Path

from dsysedu.exercises import check
from dsysedu.exercises.ch4_resilience import _jitter_cases, jittered_sleep_reference, p2c_loads_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.systems.resilience import backoff_sleep

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "04_engineering_resilience.ipynb"


def test_reference_solutions_pass():
    assert check("ch4-jitter", jittered_sleep_reference).passed
    assert check("ch4-p2c", p2c_loads_reference).passed


def test_the_jitter_reference_is_the_simulated_clients_rule():
    # the same draw: random.Random(s).uniform(a, b) is a + (b - a) * random.Random(s).random()
    for kind, attempt, previous, base, cap, _u in (a for _d, a in _jitter_cases()):
        for s in range(5):
            u = random.Random(s).random()
            assert abs(jittered_sleep_reference(kind, attempt, previous, base, cap, u)
                       - backoff_sleep(kind, attempt, previous, random.Random(s), base, cap)) < 1e-12


def test_jitter_without_the_cap_fails():
    def uncapped(kind, attempt, previous, base, cap, u):
        window = base * 2 ** attempt
        return u * window if kind == "full" else window / 2 + u * window / 2 if kind == "equal" else \
            base + (3 * max(previous, base) - base) * u
    fb = check("ch4-jitter", uncapped)
    assert not fb.passed and "cap" in fb.text()


def test_p2c_that_breaks_ties_the_other_way_fails():
    def to_b(backends, samples):
        load = [0] * backends
        for a, b in samples:
            load[a if load[a] < load[b] else b] += 1
        return load
    fb = check("ch4-p2c", to_b)
    assert not fb.passed and "tie" in fb.text()


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "load[a if" not in code
    assert code.count("raise NotImplementedError()") == 2
    assert len(feedback) == 2 and all("not written yet" in f and "Hint" in f for f in feedback)

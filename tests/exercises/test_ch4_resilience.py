"""Chapter 4.3/4.4 exercises: the references pass and agree with the chapters' code, typical wrong answers fail
with feedback that names the case (the student version of the shared chapter-4 notebook is tested in
test_ch4_messaging_storage.py)."""
import random

from dsysedu.exercises import check
from dsysedu.exercises.ch4_resilience import _jitter_cases
from instructor.references.ch4_resilience import jittered_sleep_reference, p2c_loads_reference
from dsysedu.systems.resilience import backoff_sleep


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


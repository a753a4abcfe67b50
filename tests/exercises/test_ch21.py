"""Chapter 2.1 exercises: the references pass and agree with the engine, typical wrong answers fail
with feedback that names the case, and the student version fails until written."""
import math
from pathlib import Path

from hypothesis import given, settings, strategies as st

import dsysedu.exercises.ch21  # noqa: F401  (registers the exercises)
from dsysedu import LinkModel, Scenario, Uniform, run
from dsysedu.exercises import check
from instructor.references.ch21 import compare_reference, count_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.formal.interleavings import interleavings
from dsysedu.protocols.basics.toys import PingEcho

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "02_1_system_model.ipynb"

vectors = st.integers(1, 4).flatmap(lambda n: st.tuples(st.lists(st.integers(0, 3), min_size=n, max_size=n),
                                                        st.lists(st.integers(0, 3), min_size=n, max_size=n)))


def test_reference_solutions_pass():
    assert check("ch21-compare", compare_reference).passed
    assert check("ch21-count", count_reference).passed


@settings(max_examples=200, deadline=None)
@given(vectors)
def test_compare_is_antisymmetric_and_concurrency_is_symmetric(pair):
    a, b = pair
    mirror = {"before": "after", "after": "before", "concurrent": "concurrent", "equal": "equal"}
    assert compare_reference(b, a) == mirror[compare_reference(a, b)]
    assert (compare_reference(a, b) == "equal") == (list(a) == list(b))


def test_compare_agrees_with_the_trace_on_a_run():
    tr = run(Scenario(PingEcho, nodes=3, params={"rounds": 2}, link=LinkModel(latency=Uniform(0.005, 0.03))),
             seed=7)
    _, vc = tr.clocks()
    steps = [s for s, v in enumerate(vc) if v is not None]
    for a in steps:
        for b in steps:
            if a == b:
                continue
            got = compare_reference(vc[a], vc[b])
            assert (got == "before") == tr.happens_before(a, b)
            assert (got == "concurrent") == tr.concurrent(a, b)


def test_count_agrees_with_enumeration():
    for lengths in [(3, 3), (2, 2, 2), (1, 4), (0, 3)]:
        assert count_reference(*lengths) == len(list(interleavings([range(n) for n in lengths])))


def test_compare_that_forgets_concurrency_fails_kindly():
    def total_order(a, b):   # sums the entries: a total order, so it never says "concurrent"
        return "equal" if sum(a) == sum(b) else "before" if sum(a) < sum(b) else "after"
    fb = check("ch21-compare", total_order)
    assert not fb.passed
    assert "two first events on different nodes" in fb.text() and "expected: 'concurrent'" in fb.text()


def test_compare_with_a_strict_test_fails_on_equal_entries():
    def strict(a, b):
        if list(a) == list(b):
            return "equal"
        if all(x < y for x, y in zip(a, b)):
            return "before"
        if all(x > y for x, y in zip(a, b)):
            return "after"
        return "concurrent"
    fb = check("ch21-compare", strict)
    assert not fb.passed and "b heard of a" in fb.text() and "expected: 'before'" in fb.text()


def test_count_with_float_division_fails():
    fb = check("ch21-count", lambda *l: math.factorial(sum(l)) / math.prod(math.factorial(n) for n in l))
    assert not fb.passed and "expected: 20" in fb.text() and "you returned: 20.0" in fb.text()


def test_count_for_two_processes_only_reports_the_exception():
    fb = check("ch21-count", lambda a, b: math.comb(a + b, a))
    assert not fb.passed and "TypeError" in fb.text()
    assert any("three processes" in f[0] for f in fb.failures)


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "math.factorial(sum" not in code and "le and ge" not in code
    assert code.count("raise NotImplementedError()") == 2
    assert len(feedback) == 2 and all("not written yet" in f and "Hint" in f for f in feedback)

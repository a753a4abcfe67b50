"""Chapter 2.2 exercises: the references pass and agree with the package, typical wrong answers fail with
feedback that names the case, and the student version fails kindly until written."""
from pathlib import Path

import z3

import dsysedu.exercises.ch22  # noqa: F401  (registers the exercises)
from dsysedu.exercises import check
from instructor.references.ch22 import deadlock_reference, enabled_reference, invariant_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.formal import petri
from dsysedu.formal.proofs import NO_GRANT_WHILE_HELD, SAFETY_ONLY

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "02_2_formal_models.ipynb"


def test_reference_solutions_pass():
    assert check("ch22-enabled", enabled_reference).passed
    assert check("ch22-deadlock", deadlock_reference).passed
    assert check("ch22-invariant", invariant_reference).passed


def test_deadlock_reference_is_what_the_reasoning_says():
    for n in range(2, 7):
        assert deadlock_reference(n) == {f"hold{i}": 1 for i in range(n)}
        net = petri.dining_philosophers(n)
        assert net.enabled(net.marking(deadlock_reference(n))) == ()


def test_enabled_with_a_strict_comparison_or_ignoring_weights_fails():
    strict = lambda net, m: {t for t in net.transitions if all(m[p] > w for p, w in net.inputs(t).items())}
    fb = check("ch22-enabled", strict)
    assert not fb.passed and "everyone thinking" in fb.text() and "you returned: set()" in fb.text()
    any_token = lambda net, m: {t for t in net.transitions if all(m[p] > 0 for p in net.inputs(t))}
    fb = check("ch22-enabled", any_token)
    assert not fb.passed and len(fb.failures) == 1 and "weight 2 from p, and p holds 1 token" in fb.text()
    no_source = lambda net, m: {t for t in enabled_reference(net, m) if net.inputs(t)}
    fb = check("ch22-enabled", no_source)
    assert not fb.passed and any("no input places" in f[0] for f in fb.failures)
    as_list = lambda net, m: sorted(enabled_reference(net, m))
    assert not check("ch22-enabled", as_list).passed


def test_deadlock_with_forks_on_the_table_or_zeros_listed():
    fb = check("ch22-deadlock", lambda n: {f"hold{i}": 1 for i in range(n)} | {f"fork{i}": 1 for i in range(n)})
    assert not fb.passed and "2 philosophers" in fb.text() and "expected: {'hold0': 1, 'hold1': 1}" in fb.text()
    zeros = lambda n: {**{f"hold{i}": 1 for i in range(n)}, **{f"fork{i}": 0 for i in range(n)}}
    assert check("ch22-deadlock", zeros).passed  # zeros may be listed
    assert not check("ch22-deadlock", lambda n: [f"hold{i}" for i in range(n)]).passed


def test_weak_invariants_fail_and_wrong_types_are_reported():
    fb = check("ch22-invariant", SAFETY_ONLY)
    assert not fb.passed and len(fb.failures) == 3  # one client: safety holds trivially and is inductive
    assert "2 clients" in fb.text() and "z3 proves" in fb.text()
    assert not check("ch22-invariant", NO_GRANT_WHILE_HELD).passed
    assert not check("ch22-invariant", lambda s: True).passed
    assert not check("ch22-invariant", lambda s: z3.BoolVal(False)).passed  # fails initiation
    fb = check("ch22-invariant", lambda s: s.nothing)
    assert not fb.passed and "AttributeError" in fb.text()


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and ">= w" not in code and "at_most_one" not in code
    assert code.count("raise NotImplementedError()") == 3
    assert len(feedback) == 3 and all("not written yet" in f and "Hint" in f for f in feedback)

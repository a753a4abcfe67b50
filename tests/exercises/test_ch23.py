"""Chapter 2.3 exercise: the reference passes and agrees with the package's invariant, lenient and strict
answers fail with feedback that shows the state, and the student version fails kindly until written."""
from pathlib import Path

import dsysedu.exercises.ch23  # noqa: F401  (registers the exercise)
from dsysedu.check.model_checker import check as model_check, invariant
from dsysedu.exercises import check
from dsysedu.exercises.ch23 import mutex_states
from instructor.references.ch23 import identity_proof_reference, safe_reference
from dsysedu.formal.deduction import IDENTITY_PROOF, check_proof
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.protocols.coordination.mutex import ImpatientClient, mutex_model, mutual_exclusion

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "02_3_verification.ipynb"


def test_reference_passes_and_is_the_package_invariant():
    assert check("ch23-mutual-exclusion", safe_reference).passed
    cases = mutex_states()
    assert all(safe_reference(view) == mutual_exclusion.predicate(view) for _, view in cases)
    bad = [d for d, view in cases if not safe_reference(view)]
    assert bad and all("ImpatientClient" in d for d in bad)   # the correct server never has a bad state
    assert len(cases) - len(bad) > 200                        # and plenty of good states


def test_the_reference_as_an_invariant_verifies_the_server_and_catches_the_client():
    mine = invariant("mine", safe_reference)
    assert model_check(mutex_model(3), mine).verdict == "ok"
    assert model_check(mutex_model(2, ImpatientClient), mine).verdict == "violation"


def test_lenient_strict_and_non_bool_answers_fail_with_the_state_shown():
    fb = check("ch23-mutual-exclusion", lambda s: True)
    assert not fb.passed and "ImpatientClient" in fb.text() and "phase='critical'" in fb.text()
    assert "expected: False" in fb.text() and "you returned: True" in fb.text()
    nobody = lambda s: all(v != "critical" for v in s.field("phase").values())
    fb = check("ch23-mutual-exclusion", nobody)
    assert not fb.passed and "LockClient" in fb.text() and "expected: True" in fb.text()
    count = lambda s: sum(v == "critical" for v in s.field("phase").values())
    assert not check("ch23-mutual-exclusion", count).passed   # an int, not a verdict
    fb = check("ch23-mutual-exclusion", lambda s: s.nothing)
    assert not fb.passed and "AttributeError" in fb.text()


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and '== "critical"' not in code
    assert code.count("raise NotImplementedError()") == 2 and '("MP", 4, 3)' not in code
    shown = [f for f in feedback if "'ch23-" in f and "not written yet" in f]  # the two check cells
    assert len(shown) == 2 and all("Hint" in f for f in shown)
    # the cell that model-checks the unwritten predicate says so too, instead of a traceback
    assert any("safe is not written yet" in f for f in feedback)


def test_identity_proof_reference_and_wrong_answers():
    assert check("ch23-identity-proof", identity_proof_reference).passed
    assert all(check_proof(identity_proof_reference(phi), goal=f"({phi}) -> ({phi})") for phi in ("A", "~~B"))
    fb = check("ch23-identity-proof", lambda phi: list(IDENTITY_PROOF))   # the proof of A -> A, whatever phi
    assert not fb.passed and len(fb.failures) == 4 and "phi = B -> C" in fb.text()   # right only for phi = A
    assert not check("ch23-identity-proof", lambda phi: [(f"({phi}) -> ({phi})", "A1")]).passed
    assert not check("ch23-identity-proof", lambda phi: "A -> A").passed
    fb = check("ch23-identity-proof", lambda phi: [("A", "lemma")])     # a bad justification: no crash
    assert not fb.passed

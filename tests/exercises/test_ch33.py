"""Chapter 3.3 exercises: the references pass and agree with the protocol, typical wrong answers fail
with feedback that names the case, and the student version fails until written."""
from pathlib import Path

from dsysedu.exercises import check
from instructor.references.ch33 import decide_reference, silence_reference
from dsysedu.exercises.notebooks import try_student_version
from dsysedu.protocols.transactions.twopc_sim import LockingParticipant
from dsysedu.sim import Context

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "03_3_transactions.ipynb"


def test_reference_solutions_pass():
    assert check("ch33-decide", decide_reference).passed
    assert check("ch33-participant", silence_reference).passed


def test_majority_rule_fails_kindly():
    fb = check("ch33-decide", lambda v, n, t: "commit" if sum(v) > n // 2 else ("abort" if t else "wait"))
    assert not fb.passed and "expected: 'wait'" in fb.text() and "you returned: 'commit'" in fb.text()


def test_a_participant_that_aborts_when_prepared_fails():
    fb = check("ch33-participant", lambda phase: "nothing" if phase in ("committed", "aborted") else "abort")
    assert not fb.passed and "holds its locks" in fb.text()


def test_silence_reference_matches_the_protocol():
    # prepared: the ask timer sends Ask and keeps the phase; working: the unilateral abort timer aborts
    p = LockingParticipant("p1", ("c",), abort_after=1.0)
    p.phase, p.txn = "prepared", 1
    ctx = Context("p1", ("c",))
    p.on_timer(ctx, "ask")
    assert p.phase == "prepared" and silence_reference("prepared") == "ask"
    q = LockingParticipant("p1", ("c",), abort_after=1.0)
    q.on_timer(Context("p1", ("c",)), "unilateral_abort")
    assert q.phase == "aborted" and silence_reference("working") == "abort"


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and code.count("raise NotImplementedError()") == 4
    assert len(feedback) == 4 and all("not written yet" in f for f in feedback)

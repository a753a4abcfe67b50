"""Exercise checkers: the solution passes, the starter and wrong answers fail with useful feedback."""
import subprocess
import sys
from pathlib import Path

import pytest

from dsysedu.exercises import EXERCISES, check
from instructor.references.ch1 import classify_reference, timeout_reference
from dsysedu.exercises.notebooks import strip_solutions, try_student_version

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "01_unreliable_link.ipynb"


def test_reference_solutions_pass():
    assert check("ch1-classify", classify_reference).passed
    assert check("ch1-timeout", timeout_reference).passed


def test_unwritten_function_gets_a_hint():
    def starter(trace):
        raise NotImplementedError()
    fb = check("ch1-classify", starter)
    assert not fb.passed
    assert "not written yet" in fb.text() and "Hint" in fb.text()


def test_wrong_answer_names_the_failing_case_and_both_values():
    def forgets_processing(max_latency, processing=0.0):
        return 2 * max_latency
    fb = check("ch1-timeout", forgets_processing)
    assert not fb.passed
    assert len(fb.failures) == 2  # the two cases with processing > 0
    text = fb.text()
    assert "processing=0.002" in text and "expected: 0.022" in text and "you returned: 0.02" in text


def test_classify_that_ignores_the_server_fails():
    def client_only(trace):
        return {k: ("unknown-not-applied" if v.startswith("unknown") else v)
                for k, v in classify_reference(trace).items()}
    assert not check("ch1-classify", client_only).passed


def test_learner_exception_is_reported_not_raised():
    fb = check("ch1-timeout", lambda m, p: 1 / 0)
    assert not fb.passed and "ZeroDivisionError" in fb.text()


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown exercise"):
        check("no-such-exercise", lambda: None)
    with pytest.raises(TypeError, match="your function"):
        check("ch1-timeout", 42)


def test_strip_solutions_keeps_indent_and_surroundings():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\nprint(1)\n"
    assert strip_solutions(src) == "def f(x):\n    raise NotImplementedError()\nprint(1)\n"


def test_solution_notebook_passes_and_student_version_fails(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "return 2 * max_latency" not in code
    assert "assert feedback.passed" not in code  # the solution-only cells are gone
    assert feedback and all("not written yet" in f for f in feedback)


def test_student_cli(tmp_path):
    out = subprocess.run([sys.executable, "-m", "dsysedu.exercises", "student", str(EXERCISE_NB), str(tmp_path)],
                         capture_output=True, text=True, check=True)
    assert (tmp_path / EXERCISE_NB.name).exists() and "wrote" in out.stdout


def test_every_registered_exercise_has_cases_and_its_reference_passes():
    from instructor.references import all_references
    references = all_references()
    assert set(references) == set(EXERCISES)
    for ex_id, ex in EXERCISES.items():
        assert ex.cases(), ex_id
        assert check(ex_id, references[ex_id]).passed, ex_id


def test_feedback_gives_the_call_to_paste_counts_once_and_hints_a_wrong_answer():
    def majority(n):
        return n // 2
    fb = check("ch3-majority", majority)
    text = fb.text()
    assert text.startswith(f"{len(fb.failures)} of {fb.total} hidden cases fail")
    assert "more cases fail" not in text                # one count, not two
    desc, args, expected, got = fb.failures[0]
    assert fb.call == f"majority({', '.join(map(repr, args))})" and f"try it: {fb.call}" in text
    assert eval(fb.call, {"majority": majority}) == got  # the call, pasted, gives what the checker saw
    assert "Hint: " in text and EXERCISES["ch3-majority"].hint in text


def test_an_exception_is_reported_with_its_line_in_the_learners_function():
    namespace = {}
    exec(compile("def majority(n):\n    half = n // 2\n    return half / (n - n)\n", "<cell-7>", "exec"), namespace)
    fb = check("ch3-majority", namespace["majority"])
    text = fb.text()
    assert not fb.passed and len(fb.failures) == fb.total
    assert "your function raised ZeroDivisionError" in text and "at line 3 of majority" in text


def test_a_passing_answer_has_no_call_and_no_hint():
    fb = check("ch3-majority", lambda n: n // 2 + 1)
    assert fb.passed and fb.call is None and "Hint" not in fb.text()


@pytest.mark.parametrize("path", sorted((REPO / "notebooks" / "exercises").glob("*.ipynb")), ids=lambda p: p.name)
def test_student_copies_carry_no_teacher_notes_and_no_markers(path, tmp_path):
    import json

    from dsysedu.exercises.notebooks import student_version
    teacher = json.loads(path.read_text())
    assert any("*Teachers:*" in "".join(c["source"]) for c in teacher["cells"] if c["cell_type"] == "markdown")
    student = json.loads(student_version(path, tmp_path / path.name).read_text())
    text = "\n".join("".join(c["source"]) for c in student["cells"])
    assert "Teachers:" not in text and "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
    assert "raise NotImplementedError()" in text

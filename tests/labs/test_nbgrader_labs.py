"""The lab notebooks go through the real nbgrader: release, autograde, feedback.

In a temporary course directory, ``nbgrader generate_assignment`` must strip the reference solutions
and the hidden tests; ``nbgrader autograde`` must give the instructor's copy full marks, an untouched
student copy none, and a student copy with the classic operation-based counter the points of the parts
it passes; ``nbgrader generate_feedback`` must show that student the checker's verdict.
"""
from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from . import broken

ROOT = Path(__file__).resolve().parents[2]
LABS_DIR = ROOT / "notebooks" / "labs"
BIN = Path(sys.executable).parent
NBGRADER = BIN / "nbgrader"

pytestmark = pytest.mark.skipif(not NBGRADER.exists() or not (BIN / "alembic").exists(),
                                reason="nbgrader (and its alembic) are not installed in this Python's environment")

# the student's answer: the classic operation-based counter of broken.py, under the lab's class name
OPERATION_COUNTER = inspect.getsource(broken.Increment)
OPERATION_SERVER = inspect.getsource(broken.OperationCounter).replace("class OperationCounter(", "class CounterServer(")


def _nbgrader(course: Path, *args):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg",
               PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    out = subprocess.run([str(NBGRADER), *args], cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def _scores(course: Path, assignment: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: (s.score, s.max_score) for s in gb.assignment_submissions(assignment)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = %r\nc.CourseDirectory.course_id = 'dsysedu'\n" % str(course))
    for name, nb in (("lab1", "lab1_echo.ipynb"), ("lab4", "lab4_grow_only_counter.ipynb")):
        (course / "source" / name).mkdir(parents=True)
        shutil.copy(LABS_DIR / nb, course / "source" / name / nb)
        _nbgrader(course, "generate_assignment", name, "--force")
    return course


def _cells(path: Path) -> list:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_the_release_has_no_solution_and_no_hidden_test(course):
    for nb in (course / "release").rglob("*.ipynb"):
        text = nb.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "first_seed=1000" not in text
        assert "raise NotImplementedError()" in text
    release = course / "release" / "lab4" / "lab4_grow_only_counter.ipynb"
    assert "max(self.counts.get(n, 0), c)" not in release.read_text(encoding="utf-8")


def test_autograde_gives_full_none_and_partial_marks_and_feedback_names_the_failure(course):
    for student, assignment, nb, source in (("teacher", "lab1", "lab1_echo.ipynb", "source"),
                                            ("blank", "lab1", "lab1_echo.ipynb", "release"),
                                            ("ops", "lab4", "lab4_grow_only_counter.ipynb", "release")):
        dest = course / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(course / source / assignment / nb, dest / nb)
    # the operation-based counter: the classic first try, written into the student copy's solution cells
    nb_path = course / "submitted" / "ops" / "lab4" / "lab4_grow_only_counter.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    solutions = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    solutions[0]["source"], solutions[1]["source"] = OPERATION_COUNTER, OPERATION_SERVER
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    for student in ("teacher", "blank", "ops"):
        _nbgrader(course, "db", "student", "add", student)
    _nbgrader(course, "autograde", "lab1", "--force")
    _nbgrader(course, "autograde", "lab4", "--force")
    assert _scores(course, "lab1") == {"teacher": (3.0, 3.0), "blank": (0.0, 3.0)}
    assert _scores(course, "lab4") == {"ops": (2.0, 5.0)}        # converges without faults, not under loss
    _nbgrader(course, "generate_feedback", "lab4", "--force")
    feedback = (course / "feedback" / "ops" / "lab4" / "lab4_grow_only_counter.html").read_text(encoding="utf-8")
    assert "counter converges" in feedback and "the acknowledged adds" in feedback

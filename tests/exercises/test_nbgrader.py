"""Graded assignments with the real nbgrader: every exercise notebook carries the cell metadata, and a
course directory releases, autogrades and returns feedback: full marks for a correct submission,
partial marks with the checker's feedback for a wrong one."""
import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsysedu.exercises.grading import metadata_problems, nbgrader_metadata, write_nbgrader_metadata

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NOTEBOOKS = sorted((REPO / "notebooks" / "exercises").glob("*.ipynb"))
GRADED = REPO / "notebooks" / "exercises" / "03_1_consensus.ipynb"


@pytest.mark.parametrize("path", EXERCISE_NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_notebook_carries_nbgrader_metadata(path):
    problems = metadata_problems(path)
    assert problems == [], "\n".join(problems)
    nb = json.loads(path.read_text())
    roles = [c["metadata"].get("nbgrader") for c in nb["cells"]]
    ids = [r["grade_id"] for r in roles if r]
    assert len(ids) == len(set(ids))
    assert all(r["schema_version"] == 3 for r in roles if r)
    graded = [r for r in roles if r and r["grade"]]
    assert graded and all(r["locked"] and r["points"] > 0 for r in graded)
    assert any(r and r["solution"] and not r["locked"] for r in roles)


def _toy(cells):
    return {"cells": [{"cell_type": t, "metadata": m, "source": s} | ({"outputs": [], "execution_count": None}
                                                                      if t == "code" else {})
                      for t, s, m in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


TOY = [("markdown", "Write `f` where it says `### BEGIN SOLUTION`.", {}),
       ("code", "from dsysedu.exercises import check", {}),
       ("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", {}),
       ("code", "double(3)", {}),
       ("code", "feedback = check(\"ch3-majority\", double)\nfeedback", {}),
       ("code", "assert feedback.passed", {"tags": ["solution-only"]}),
       ("code", "assert double(2) == 4\nassert double(0) == 0", {})]


def test_the_tool_derives_roles_and_says_how_to_fix_a_notebook_without_them(tmp_path):
    path = tmp_path / "toy.ipynb"
    path.write_text(json.dumps(_toy(TOY)))
    problems = metadata_problems(path)
    assert problems and all(f"python -m dsysedu.exercises nbgrader-metadata {path}" in p for p in problems)
    assert write_nbgrader_metadata(path) and metadata_problems(path) == []
    assert not write_nbgrader_metadata(path)  # a second run changes nothing
    nb = json.loads(path.read_text())
    roles = [c["metadata"].get("nbgrader") for c in nb["cells"]]
    assert [(r["grade_id"], r["locked"], r["solution"], r["grade"]) if r else None for r in roles] == [
        ("text", True, False, False), ("setup", True, False, False), ("solution-double", False, True, False),
        None, ("check-ch3-majority", True, False, True), None, None]
    assert nb["cells"][6]["metadata"]["tags"] == ["solution-only"]  # only asserts: the teacher's check
    assert roles[4]["points"] == 1
    assert "".join(nb["cells"][4]["source"]).endswith(
        "feedback\n### BEGIN HIDDEN TESTS\nassert feedback.passed, feedback.text()\n### END HIDDEN TESTS")
    assert "`raise NotImplementedError()`" in "".join(nb["cells"][0]["source"])


def test_a_teachers_points_and_ids_survive_a_rerun():
    nb = nbgrader_metadata(_toy(TOY))
    nb["cells"][4]["metadata"]["nbgrader"]["points"] = 3
    nb["cells"].insert(1, _toy([("markdown", "A new paragraph.", {})])["cells"][0])
    again = nbgrader_metadata(nb)
    roles = [c["metadata"].get("nbgrader") for c in again["cells"]]
    assert roles[5]["points"] == 3 and roles[5]["grade_id"] == "check-ch3-majority"
    assert roles[0]["grade_id"] == "text" and roles[1]["grade_id"] == "text-2"


def test_the_tool_refuses_what_nbgrader_would_misread():
    bad = [("markdown", "The block ends at ### END SOLUTION.", {})] + TOY[1:]
    with pytest.raises(ValueError, match="cell 0: markdown mentions 'END SOLUTION'"):
        nbgrader_metadata(_toy(bad))
    with pytest.raises(ValueError, match="checked in two cells"):
        nbgrader_metadata(_toy(TOY + [TOY[4]]))
    with pytest.raises(ValueError, match="name the check's result"):
        nbgrader_metadata(_toy(TOY[:4] + [("code", "check('ch3-majority', double)", {})]))
    with pytest.raises(ValueError, match="needs solution cells"):
        nbgrader_metadata(_toy(TOY[:2]))


def _nbgrader(course: Path, *args):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]), MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0 and "| ERROR]" not in out.stderr, out.stderr[-3000:]
    return out


def _submit(course: Path, student: str, source: dict, replace: dict):
    nb = json.loads((course / "release" / "ps1" / GRADED.name).read_text())
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in solutions:
            cell["source"] = replace.get(gid, solutions[gid])
    folder = course / "submitted" / student / "ps1"
    folder.mkdir(parents=True)
    (folder / GRADED.name).write_text(json.dumps(nb))


def test_nbgrader_releases_autogrades_and_returns_feedback(tmp_path):
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(GRADED, course / "source" / "ps1")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'dsysedu'\n"
        "from dsysedu.exercises.grading import configure\n"
        "configure(c)\n")
    _nbgrader(course, "generate_assignment", "ps1")
    release = json.loads((course / "release" / "ps1" / GRADED.name).read_text())
    text = "\n".join("".join(c["source"]) for c in release["cells"])
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "assert feedback" not in text
    assert "*Teachers:*" not in text and "n // 2 + 1" not in text and "raise NotImplementedError()" in text

    source = json.loads(GRADED.read_text())
    _submit(course, "alice", source, {})
    _submit(course, "bob", source, {"solution-up_to_date": "def up_to_date(a, b, c, d):\n    return d >= b\n"})
    _nbgrader(course, "autograde", "ps1")
    _nbgrader(course, "generate_feedback", "ps1")

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: (gb.find_submission_notebook(GRADED.stem, "ps1", s).score,
                      gb.find_submission_notebook(GRADED.stem, "ps1", s).max_score) for s in ("alice", "bob")}
    assert scores == {"alice": (3.0, 3.0), "bob": (2.0, 3.0)}

    alice = html.unescape((course / "feedback" / "alice" / "ps1" / f"{GRADED.stem}.html").read_text())
    bob = html.unescape((course / "feedback" / "bob" / "ps1" / f"{GRADED.stem}.html").read_text())
    assert "hidden cases fail" not in alice and "Score: 3.0 / 3.0" in alice
    assert "Score: 2.0 / 3.0" in bob
    assert "hidden cases fail for 'ch3-up-to-date'" in bob and "First failing case:" in bob
    assert "Hint: compare the last terms first" in bob

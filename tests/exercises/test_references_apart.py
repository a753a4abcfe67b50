"""Reference solutions live in instructor/, not in the installed package: the checker judges with
frozen answers, which must equal what the references compute; the wheel carries no solution."""
import ast
import importlib
import pkgutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import dsysedu.exercises
from dsysedu.exercises import EXERCISES, Exercise, check, register
from dsysedu.exercises.answers import expected_answers, to_literal
from instructor.freeze import frozen_differences
from instructor.references import all_references

REPO = Path(__file__).resolve().parents[2]


def test_frozen_answers_equal_the_references_outputs():
    assert frozen_differences() == []


def test_every_exercise_has_a_reference_and_frozen_answers_or_its_own_judge():
    refs = all_references()
    for ex_id, ex in EXERCISES.items():
        assert ex_id in refs, f"{ex_id}: no reference; run python -m instructor extract <module>"
        if ex.describe is None:
            assert len(expected_answers(ex_id)) == len(ex.cases()), ex_id


def test_no_reference_importable_from_the_package():
    found = []
    for info in pkgutil.walk_packages(dsysedu.exercises.__path__, "dsysedu.exercises."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [f"{info.name}.{n}" for n in dir(module) if n.endswith("_reference")]
    assert found == []
    assert not any(hasattr(ex, "reference") for ex in EXERCISES.values())


def test_nothing_in_the_package_imports_instructor():
    for path in (REPO / "dsysedu").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not any(n.split(".")[0] == "instructor" for n in names), path


def test_a_changed_case_list_asks_for_a_refreeze_instead_of_judging_wrongly(monkeypatch):
    import dataclasses
    ex = EXERCISES["ch3-majority"]
    monkeypatch.setitem(EXERCISES, "ch3-majority", dataclasses.replace(ex, cases=lambda: ex.cases()[1:]))
    with pytest.raises(LookupError, match="do not match its hidden cases.*instructor freeze ch3-majority"):
        check("ch3-majority", lambda n: n // 2 + 1)
    register(Exercise("test-new", "new", cases=ex.cases, same=ex.same))
    try:
        with pytest.raises(LookupError, match="no frozen answers.*instructor freeze test-new"):
            check("test-new", lambda n: n // 2 + 1)
    finally:
        del EXERCISES["test-new"]


def test_literals_read_back_and_refuse_what_is_not_one():
    import numpy as np
    for value in ({"b": {2, 1}, 3: (1.5, None)}, [float("inf"), -float("inf")], (np.int64(3), np.bool_(True)),
                  frozenset({"x"}), set(), (1,), {}):
        back = ast.literal_eval(to_literal(value))
        assert back == value or back == [v.item() if hasattr(v, "item") else v for v in value]
    with pytest.raises(TypeError, match="accepts="):
        to_literal(object())
    with pytest.raises(TypeError, match="nan"):
        to_literal(float("nan"))


def test_the_wheel_holds_the_answers_and_no_solution(tmp_path):
    """Build the wheel from a copy of the sources (setuptools, no network) and read every file in it."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (src / name).write_bytes((REPO / name).read_bytes())
    subprocess.run(["cp", "-r", str(REPO / "dsysedu"), str(REPO / "instructor"), str(src)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(src),
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        text = {n: z.read(n).decode("utf-8", "replace") for n in names}
    assert not [n for n in names if n.startswith("instructor/") or n.endswith(".ipynb")]
    assert "dsysedu/exercises/expected/ch3-majority.txt" in names
    leaks = [n for n, t in text.items() if "_reference(" in t or "### BEGIN SOLUTION\n" in t]
    assert leaks == []
    # a solution's own code is not in any module: the commit rule's reference line, say
    assert not [n for n, t in text.items() if "log_terms[index - 1] != current_term" in t]


def test_instructor_command_line():
    run = lambda *a: subprocess.run([sys.executable, "-m", "instructor", *a], cwd=REPO, capture_output=True, text=True)
    ok = run("verify")
    assert ok.returncode == 0 and "agree" in ok.stdout
    bad = run("freeze", "no-such-exercise")
    assert bad.returncode == 2 and "unknown exercise 'no-such-exercise'" in bad.stderr
    assert run().returncode == 2 and "usage" in run("extract").stderr

"""Boundary: the exercise tool (``python -m dsysedu.exercises student NB OUT_DIR``).

It never writes the student version over its source, and a solution block without its
end is refused (it would hand the solution out); nothing is written then.
"""
import json
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from dsysedu.exercises.notebooks import check_markers, strip_solutions, student_version
from limits import FUZZ, attempt

B = "exercise tool"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def _notebook(path, sources):
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
                    for s in sources], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def _balanced(markers) -> bool:
    depth = 0
    for m in markers:
        depth += 1 if m == BEGIN else -1
        if depth not in (0, 1):
            return False
    return depth == 0


@FUZZ
@given(markers=st.lists(st.sampled_from([BEGIN, END]), min_size=1, max_size=5),
       filler=st.sampled_from(["x = 1", "    y = 2", "print('secret')"]))
def test_unbalanced_markers_are_refused_and_nothing_is_written(tmp_path_factory, markers, filler):
    src = "\n".join(f"{m}\n{filler}" for m in markers) + "\n"
    if _balanced(markers):
        assert strip_solutions(src).count("raise NotImplementedError()") == markers.count(BEGIN)
        return
    base = tmp_path_factory.mktemp("ex")
    nb = _notebook(base / "ex.ipynb", ["import math\n", src])
    attempt(B, lambda: check_markers(src), errors=(ValueError,), match="SOLUTION")
    attempt(B, lambda: student_version(nb, base / "out" / "ex.ipynb"), errors=(ValueError,), match="cell 1")
    assert not (base / "out").exists()


@FUZZ
@given(how=st.sampled_from(["same", "dot", "dotdot", "hardlink", "symlink"]))
def test_never_writes_over_its_source(tmp_path_factory, how):
    base = tmp_path_factory.mktemp("ex")
    (base / "sub").mkdir()
    nb = _notebook(base / "ex.ipynb", [f"{BEGIN}\nanswer = 42\n{END}\n"])
    before = nb.read_text()
    target = {"same": base / "ex.ipynb", "dot": base / "." / "ex.ipynb", "dotdot": base / "sub" / ".." / "ex.ipynb",
              "hardlink": base / "sub" / "ex.ipynb", "symlink": base / "sub" / "ex.ipynb"}[how]
    if how == "hardlink":
        target.hardlink_to(nb)
    elif how == "symlink":
        target.symlink_to(nb)
    attempt(B, lambda: student_version(nb, target), errors=(ValueError,), match="overwrite its source")
    assert nb.read_text() == before


@FUZZ
@given(text=st.one_of(st.text(max_size=40), st.just("{}"), st.just('{"cells": 3}'), st.just("[]")))
def test_files_that_are_not_notebooks(tmp_path_factory, text):
    base = tmp_path_factory.mktemp("ex")
    (base / "x.ipynb").write_text(text)
    attempt(B, lambda: student_version(base / "x.ipynb", base / "out" / "x.ipynb"), errors=(ValueError,),
            match="not a notebook")


def test_the_command_used_to_overwrite_the_teachers_notebook(tmp_path):
    nb = _notebook(tmp_path / "ex.ipynb", [f"{BEGIN}\nanswer = 42\n{END}\n"])
    out = subprocess.run([sys.executable, "-m", "dsysedu.exercises", "student", str(nb), str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "overwrite its source" in out.stderr and "Traceback" not in out.stderr
    assert "answer = 42" in nb.read_text()

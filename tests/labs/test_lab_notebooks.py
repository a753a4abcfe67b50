"""The lab notebooks' nbgrader metadata agrees with the ladder: every part graded once, for its points."""
from __future__ import annotations

import json
import re

import pytest

from dsysedu.exercises.labs import LABS
from dsysedu.exercises.notebooks import check_markers

from .references import LAB_NOTEBOOKS, NOTEBOOKS


def _cells(lab):
    return json.loads((NOTEBOOKS / LAB_NOTEBOOKS[lab][0]).read_text(encoding="utf-8"))["cells"]


def test_every_lab_has_its_notebook_and_no_notebook_is_left_over():
    assert set(LABS) == set(LAB_NOTEBOOKS)
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == {nb for nb, _ in LAB_NOTEBOOKS.values()}


@pytest.mark.parametrize("lab", list(LABS))
def test_nbgrader_metadata_grades_every_part_once_for_its_points(lab):
    cells = _cells(lab)
    meta = [c["metadata"].get("nbgrader") for c in cells]
    assert all(m is not None and m["schema_version"] == 3 for m in meta), "every cell carries nbgrader metadata"
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids))
    graded = {}
    for c, m in zip(cells, meta):
        src = "".join(c["source"])
        if m["grade"]:
            assert c["cell_type"] == "code" and m["locked"] and not m["solution"]
            part = re.search(r"report\.points\[(['\"])(.+?)\1\]", src).group(2)
            assert part not in graded, f"{lab}: part {part!r} graded twice"
            graded[part] = m["points"]
            assert "### BEGIN HIDDEN TESTS" in src and "### END HIDDEN TESTS" in src
        if m["solution"]:
            assert c["cell_type"] == "code" and "### BEGIN SOLUTION" in src
            check_markers(src, f"{lab} cell {m['grade_id']}")
        else:
            assert "BEGIN SOLUTION" not in src, f"{lab}: a solution marker outside a solution cell"
    assert graded == {p.name: p.points for p in LABS[lab].parts}


@pytest.mark.parametrize("lab", list(LABS))
def test_notebooks_are_stored_without_outputs_and_start_with_seed(lab):
    code = [c for c in _cells(lab) if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert re.search(r"^SEED = \d+$", "".join(code[0]["source"]), re.M)

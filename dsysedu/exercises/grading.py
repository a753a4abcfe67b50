"""nbgrader cell metadata for the exercise notebooks, derived from their structure.

An exercise notebook in the course's pattern has, per exercise, a code cell with the solution between
``### BEGIN SOLUTION`` and ``### END SOLUTION``, a few "try it" cells, and a check cell
``feedback = check("<exercise id>", function)``. :func:`nbgrader_metadata` turns that into what
nbgrader (schema version 3) grades:

============================  ==========================================================================
cell                          nbgrader role
============================  ==========================================================================
solution markers              solution cell (``grade_id`` ``solution-<function>``), editable
``check("<id>", ...)``        autograded test cell (``check-<id>``), read-only, 1 point unless a teacher
                              set others; a hidden test ``assert feedback.passed, feedback.text()``
                              (between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``) ends the
                              cell, so a wrong answer fails it with the checker's feedback as the error
markdown                      read-only (the instructions)
code before the first         read-only (the setup: imports and ``SEED``)
solution
tagged ``solution-only``, or  no nbgrader role: the teacher's checks; tagged ``solution-only`` (if not
only ``assert`` statements    yet), which the student copy and :class:`StudentCopy` at release drop
other code ("try it")         no nbgrader role: the student may edit and run them freely
============================  ==========================================================================

Markdown that names the solution marker (```### BEGIN SOLUTION```) is reworded to name what the
student sees there (```raise NotImplementedError()```): nbgrader would read the marker as a solution
region. Existing ``grade_id`` and ``points`` are kept, so re-running the tool after an edit does not
renumber the gradebook; running it twice changes nothing.

``python -m dsysedu.exercises nbgrader-metadata NOTEBOOK...`` writes it; :func:`metadata_problems`
says what a notebook lacks. :func:`configure` sets up an nbgrader course directory's config so that
``nbgrader generate_assignment`` also drops the teachers' notes and the ``solution-only`` cells.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from .notebooks import check_markers, strip_teacher_notes

__all__ = ["nbgrader_metadata", "metadata_problems", "write_nbgrader_metadata", "configure", "HIDDEN_BEGIN",
           "HIDDEN_END", "drop_teacher_material"]

SCHEMA_VERSION = 3
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
_CHECK = re.compile(r"""^(?:(?P<var>[A-Za-z_]\w*)\s*=\s*)?check\(\s*(?P<q>["'])(?P<id>[\w.-]+)(?P=q)\s*,""", re.MULTILINE)
_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)", re.MULTILINE)
_DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN MARK SCHEME",
               "END MARK SCHEME")


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _role(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _with_hidden_test(source: str, m: re.Match) -> str:
    """``source`` ending with the hidden assert that fails the cell on a wrong answer.

    The block goes last, so that in the autograded copy the cell shows nothing when the answer is
    right (nbgrader reads a displayed value as a partial-credit number) and the checker's feedback as
    the error when it is wrong; the student's copy, without the block, still shows the feedback.
    A teacher's own hidden tests are kept as they are.
    """
    if HIDDEN_BEGIN in source:
        return source
    var = m.group("var")
    return f"{source.rstrip()}\n{HIDDEN_BEGIN}\nassert {var}.passed, {var}.text()\n{HIDDEN_END}"


def _only_asserts(source: str) -> bool:
    """Whether a code cell holds nothing but ``assert`` statements (a teacher's check of the solution)."""
    import ast
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(s, ast.Assert) for s in body)


def nbgrader_metadata(nb: dict, where: str = "notebook") -> dict:
    """A copy of the notebook ``nb`` (a dict as read from JSON) with nbgrader metadata on its cells.

    Raises
    ------
    ValueError
        If the notebook has no check cell or no solution cell, an exercise is checked twice, or a
        markdown cell still holds an nbgrader delimiter after rewording (say which cell).
    """
    nb = copy.deepcopy(nb)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ValueError(f"{where}: not a notebook (no list of cells)")
    used = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells} - {None}
    checked, solutions, kept = set(), 0, set()
    seen_solution = False

    def fresh(base: str, cell) -> str:
        """The cell's grade_id if it has one for this role (a copied cell gets a new one), else a new one."""
        old = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if old and old.split("-")[0] == base.split("-")[0] and old not in kept:
            kept.add(old)
            return old
        gid, k = base, 2
        while gid in used:
            gid, k = f"{base}-{k}", k + 1
        used.add(gid)
        kept.add(gid)
        return gid

    for i, cell in enumerate(cells):
        meta = cell.setdefault("metadata", {})
        old = meta.get("nbgrader", {})
        src = _source(cell)
        here = f"{where}, cell {i}"
        tags = meta.get("tags", [])
        if cell["cell_type"] == "markdown":
            src = src.replace("`### BEGIN SOLUTION`", "`raise NotImplementedError()`")
            bad = [d for d in _DELIMITERS if d in src]
            if bad:
                raise ValueError(f"{here}: markdown mentions {bad[0]!r}, which nbgrader reads as a delimiter; "
                                 f"reword it")
            cell["source"] = src
            meta["nbgrader"] = _role(fresh("text", cell), locked=True)
        elif cell["cell_type"] != "code":
            meta.pop("nbgrader", None)
        elif "solution-only" in tags or _only_asserts(src):
            # the teacher's own checks: a student's copy would fail on them
            meta["tags"] = tags if "solution-only" in tags else [*tags, "solution-only"]
            meta.pop("nbgrader", None)
        elif "BEGIN SOLUTION" in src:
            check_markers(src, here)
            seen_solution = True
            solutions += 1
            names = _DEF.findall(src)
            meta["nbgrader"] = _role(fresh(f"solution-{names[0] if names else i}", cell), solution=True)
        elif (m := _CHECK.search(src)) is not None:
            ex_id = m.group("id")
            if not m.group("var") and HIDDEN_BEGIN not in src:
                raise ValueError(f"{here}: name the check's result, `feedback = check({ex_id!r}, ...)` then "
                                 f"`feedback`, so that the hidden test can assert it passed")
            if ex_id in checked:
                raise ValueError(f"{here}: exercise {ex_id!r} is checked in two cells; grade it in one")
            checked.add(ex_id)
            cell["source"] = _with_hidden_test(src, m)
            points = old.get("points", 1) if old.get("grade") else 1
            meta["nbgrader"] = _role(fresh(f"check-{ex_id}", cell), grade=True, locked=True, points=points)
        elif not seen_solution:
            meta["nbgrader"] = _role(fresh("setup", cell), locked=True)
        else:
            meta.pop("nbgrader", None)
    if not checked or not solutions:
        raise ValueError(f"{where}: an exercise notebook needs solution cells (### BEGIN SOLUTION) and check cells "
                         f"(check(\"<exercise id>\", function)); found {solutions} and {len(checked)}")
    return nb


def _normal(nb: dict) -> dict:
    """The notebook with every source as one string (how nbformat may store it does not matter)."""
    nb = copy.deepcopy(nb)
    for c in nb.get("cells", []):
        c["source"] = _source(c)
    return nb


def metadata_problems(path) -> list[str]:
    """What the notebook at ``path`` lacks for nbgrader ([] when the tool would change nothing)."""
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    fix = f"run `python -m dsysedu.exercises nbgrader-metadata {path}`"
    try:
        want = _normal(nbgrader_metadata(nb, path.name))
    except ValueError as exc:
        return [str(exc)]
    have = _normal(nb)
    problems = []
    for i, (a, b) in enumerate(zip(have["cells"], want["cells"])):
        if a.get("metadata", {}).get("tags", []) != b["metadata"].get("tags", []):
            problems.append(f"{path.name}, cell {i}: a teacher's check not tagged solution-only ({fix})")
        elif a.get("metadata", {}).get("nbgrader") != b["metadata"].get("nbgrader"):
            problems.append(f"{path.name}, cell {i}: nbgrader metadata missing or stale ({fix})")
        elif a["source"] != b["source"]:
            problems.append(f"{path.name}, cell {i}: the hidden test or the wording nbgrader needs is missing ({fix})")
    return problems


def write_nbgrader_metadata(path) -> bool:
    """Write the nbgrader metadata into the notebook at ``path``; return whether the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    new = nbgrader_metadata(nb, path.name)
    for c in new["cells"]:  # keep nbformat's list-of-lines layout, as Jupyter writes it
        c["source"] = _source(c).splitlines(keepends=True)
    out = json.dumps(new, indent=1, ensure_ascii=False) + "\n"
    if out == text:
        return False
    path.write_text(out, encoding="utf-8")
    return True


def drop_teacher_material(nb):
    """Drop the ``solution-only`` cells and the ``*Teachers:*`` paragraphs of an nbformat notebook, in place."""
    nb.cells = [c for c in nb.cells if "solution-only" not in c.get("metadata", {}).get("tags", [])]
    for c in nb.cells:
        if c.cell_type == "markdown":
            c.source = strip_teacher_notes(c.source)
    return nb


def configure(c) -> None:
    """Set up an nbgrader config ``c`` (``c = get_config()`` in ``nbgrader_config.py``) for this course.

    ``generate_assignment`` then runs :class:`StudentCopy` first: the released notebook has no
    ``solution-only`` cells and no ``*Teachers:*`` notes. Everything else is nbgrader's default.
    """
    from nbgrader.converters import GenerateAssignment

    from .nbgrader_release import StudentCopy

    default = list(GenerateAssignment.class_traits()["preprocessors"].default())
    c.GenerateAssignment.preprocessors = [StudentCopy, *default]

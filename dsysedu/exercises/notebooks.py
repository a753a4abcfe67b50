"""Student versions of exercise notebooks (nbgrader's solution markers)."""
from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["student_version", "strip_solutions", "strip_teacher_notes", "strip_hidden_tests", "check_markers",
           "try_student_version"]

_SOLUTION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?",
                       re.MULTILINE | re.DOTALL)


_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION", re.MULTILINE)


def check_markers(source: str, where: str = "cell") -> None:
    """Raise ValueError unless every ``### BEGIN SOLUTION`` has its ``### END SOLUTION``, in order,
    not nested: an unclosed block would hand the solution to the students unchanged."""
    open_line = None
    for m in _MARKER.finditer(source):
        line = source.count("\n", 0, m.start()) + 1
        if m.group(1) == "BEGIN":
            if open_line is not None:
                raise ValueError(f"{where}: ### BEGIN SOLUTION at line {line} inside the block opened at "
                                 f"line {open_line} (blocks do not nest)")
            open_line = line
        else:
            if open_line is None:
                raise ValueError(f"{where}: ### END SOLUTION at line {line} without a BEGIN before it")
            open_line = None
    if open_line is not None:
        raise ValueError(f"{where}: ### BEGIN SOLUTION at line {open_line} has no ### END SOLUTION: "
                         f"the solution would be handed out")


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by ``raise NotImplementedError()``.

    Raises
    ------
    ValueError
        If a marker has no partner (see :func:`check_markers`).
    """
    check_markers(source, where)
    return _SOLUTION.sub(lambda m: f"{m.group('indent')}raise NotImplementedError()\n", source)


_TEACHER_NOTE = re.compile(r"^\*Teachers?:\*.*?(?:\n[ \t]*\n|\Z)", re.MULTILINE | re.DOTALL)


def strip_teacher_notes(markdown: str) -> str:
    r"""Drop every paragraph of a markdown cell that starts with ``*Teachers:*`` (notes for the instructor).

    Examples
    --------
    >>> strip_teacher_notes("Write the rule.\n\n*Teachers:* the solution is below.\nMore for them.\n\nGo on.")
    'Write the rule.\n\nGo on.'
    """
    return _TEACHER_NOTE.sub("", markdown).rstrip("\n") if _TEACHER_NOTE.search(markdown) else markdown


_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*(?:\n|\Z)",
                     re.MULTILINE | re.DOTALL)


def strip_hidden_tests(source: str) -> str:
    r"""``source`` without nbgrader's ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` blocks.

    Examples
    --------
    >>> strip_hidden_tests("f = check('x', g)\n### BEGIN HIDDEN TESTS\nassert f.passed\n### END HIDDEN TESTS\nf")
    "f = check('x', g)\nf"
    """
    return _HIDDEN.sub("", source)


def student_version(path, out_path) -> Path:
    """Write the student version of the notebook at ``path`` to ``out_path``.

    Solution blocks in code cells become ``raise NotImplementedError()``, nbgrader's hidden
    tests (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) go, outputs are cleared,
    cells tagged ``solution-only`` are dropped, and so are the markdown paragraphs that start
    with ``*Teachers:*``. (``nbgrader generate_assignment`` with :func:`~dsysedu.exercises.grading.configure`
    makes the same copy and records the grading cells.)

    Raises
    ------
    ValueError
        If ``out_path`` is the source notebook itself (the solutions would be lost), the file
        is not a notebook, or a solution block is not closed. Nothing is written then.
    """
    src_path, out = Path(path), Path(out_path)
    if out.resolve() == src_path.resolve() or (out.exists() and out.samefile(src_path)):
        raise ValueError(f"the student version would overwrite its source {str(src_path)!r} (and its solutions); "
                         f"write it to another folder")
    try:
        nb = json.loads(src_path.read_text(encoding="utf-8"))
        cells_in = nb["cells"]
        if not isinstance(cells_in, list) or not all(
                isinstance(c, dict) and isinstance(c.get("cell_type"), str) and
                (isinstance(c.get("source"), str) or isinstance(c.get("source"), list)
                 and all(isinstance(x, str) for x in c["source"])) for c in cells_in):
            raise ValueError("cells must be a list of cells, each with a cell_type and a source")
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{src_path}: not a notebook ({exc})") from None
    # check every cell before writing anything
    for i, cell in enumerate(cells_in):
        if cell.get("cell_type") == "code":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            check_markers(text, f"{src_path.name}, cell {i}")
    cells = []
    for cell in cells_in:
        if "solution-only" in cell.get("metadata", {}).get("tags", []):
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            src = strip_hidden_tests(strip_solutions(src))
            cell["outputs"] = []
            cell["execution_count"] = None
        elif cell["cell_type"] == "markdown":
            # the student copy has no markers: its prose points at what replaced them
            src = strip_teacher_notes(src).replace("`### BEGIN SOLUTION`", "`raise NotImplementedError()`")
        cell["source"] = src
        cells.append(cell)
    nb["cells"] = cells
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def try_student_version(path, out_dir, timeout: int = 120) -> tuple[str, list[str]]:
    """Write the student version of ``path`` into ``out_dir``, run it, and return what a student sees.

    Returns ``(code, feedback)``: the student version's code cells joined (to check that no solution
    leaked), and the text shown by each cell that calls ``check(`` (to check that every unwritten
    exercise gets friendly feedback instead of an error). Teachers can run it before handing out.
    """
    import nbformat
    from nbclient import NotebookClient

    student = student_version(path, Path(out_dir) / Path(path).name)
    nb = nbformat.read(student, as_version=4)
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(student.parent)}}).execute()
    feedback = [json.dumps(out.get("data", {}).get("text/plain", out.get("text", "")))
                for cell in nb.cells if cell.cell_type == "code" and "check(" in cell.source
                for out in cell.outputs]
    return code, feedback

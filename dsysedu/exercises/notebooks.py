"""Student versions of exercise notebooks (nbgrader's solution markers)."""
from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["student_version", "strip_solutions", "try_student_version"]

_SOLUTION = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?",
                       re.MULTILINE | re.DOTALL)


def strip_solutions(source: str) -> str:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by ``raise NotImplementedError()``."""
    return _SOLUTION.sub(lambda m: f"{m.group('indent')}raise NotImplementedError()\n", source)


def student_version(path, out_path) -> Path:
    """Write the student version of the notebook at ``path`` to ``out_path``.

    Solution blocks in code cells become ``raise NotImplementedError()``, outputs are
    cleared, and cells tagged ``solution-only`` are dropped.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        if "solution-only" in cell.get("metadata", {}).get("tags", []):
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            src = strip_solutions(src)
            cell["outputs"] = []
            cell["execution_count"] = None
        cell["source"] = src
        cells.append(cell)
    nb["cells"] = cells
    out = Path(out_path)
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

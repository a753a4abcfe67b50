"""Student versions of exercise notebooks (nbgrader's solution markers)."""
from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["student_version", "strip_solutions"]

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

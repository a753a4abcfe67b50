"""The chapter notebooks keep their shape: short cells, no definitions, one way to pass a seed.

Logic belongs in ``dsysedu/`` (with tests); a chapter cell calls it. See the README's "Writing a
chapter". Dashboards and exercises are not chapters and are not checked here.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MAX_LINES = 6


def _code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_cells_are_short_and_define_nothing(path):
    long = [(i, src.count("\n") + 1) for i, src in _code_cells(path) if src.count("\n") + 1 > MAX_LINES]
    assert not long, f"{path.name}: (cell, lines) {long}: at most {MAX_LINES} lines; move logic into dsysedu/"
    for i, src in _code_cells(path):
        tree = ast.parse(src)
        defined = [type(n).__name__ for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defined, f"{path.name} cell {i} defines {defined}: put it in dsysedu/ with a test"
        assert "getsource" not in src, f"{path.name} cell {i}: show code with dsysedu.viz.show_source"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_one_way_to_pass_a_seed(path):
    cells = _code_cells(path)
    assert any(re.search(r"^SEED = \d+$", src, re.M) for _, src in cells[:1]), f"{path.name}: no SEED in setup"
    for i, src in cells:
        tree = ast.parse(src)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg == "seed":   # seed=SEED, or seed=seed inside "for seed in ...": never a literal
                    assert isinstance(kw.value, ast.Name) and kw.value.id in ("SEED", "seed"), \
                        f"{path.name} cell {i}: seed={ast.unparse(kw.value)}: write seed=SEED or loop 'for seed in'"
            # a scenario runs through run(scenario, seed=...), not scenario.run(...)
            f = node.func
            assert not (isinstance(f, ast.Attribute) and f.attr == "run" and not node.args), \
                f"{path.name} cell {i}: {ast.unparse(node)}: write run(scenario, seed=SEED)"

"""Every colour lives in :mod:`dsysedu.viz.style`: no hex colour in a string anywhere else.

Reads every module of ``dsysedu`` and every code cell of the chapter notebooks with
:mod:`tokenize`, so a ``#`` comment or a ``# NBVAL`` marker is never mistaken for a colour.
"""
from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "dsysedu"
STYLE = PACKAGE / "viz" / "style.py"
HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})(?![0-9a-zA-Z_])")
_STRING_TOKENS = {tokenize.STRING} | ({tokenize.FSTRING_MIDDLE} if hasattr(tokenize, "FSTRING_MIDDLE") else set())


def hex_colours(source: str) -> list[tuple[int, str]]:
    """``(line, colour)`` for each hex colour inside a string literal of ``source``."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _STRING_TOKENS:
            found += [(tok.start[0], m.group()) for m in HEX_COLOUR.finditer(tok.string)]
    return found


def _package_files():
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p != STYLE]


def _cell_source(cell) -> str:
    # IPython magics and shell escapes are not Python: leave them out of the tokenizer's way
    lines = "".join(cell["source"]).splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines) + "\n"


def test_the_checker_sees_colours_in_strings_only():
    assert hex_colours('c = "#C1272D"  # not "#ABCDEF" here\nd = f"{x}#abc"\n') == [(1, "#C1272D"), (2, "#abc")]
    assert hex_colours("x = 1  # see #123\ny = '#12'\nz = '#1234567'\n") == []


@pytest.mark.parametrize("path", _package_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_hex_colour_outside_style(path):
    found = hex_colours(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(REPO)}: name these colours in dsysedu/viz/style.py: {found}"


@pytest.mark.parametrize("path", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_no_hex_colour_in_chapter_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = [(i, colour) for i, cell in enumerate(cells) if cell["cell_type"] == "code"
             for _, colour in hex_colours(_cell_source(cell))]
    assert not found, f"{path.name}: (cell, colour) {found}: use dsysedu.viz.style's names"

"""The saga section's cells (a fragment to splice into chapter 3.3) run, and keep the chapter rules.

The fragment is a JSON list of nbformat cells; here it becomes a notebook with a setup cell
(``SEED = 7`` and ``run``), is checked like a chapter (short cells, no definitions, ``seed=SEED``)
and executed with nbclient.
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
FRAGMENTS = [ROOT / "notebooks" / ".fragments" / "03_3_3_sagas.json",
             ROOT / "notebooks" / ".fragments" / "exercises_03_3_sagas.json"]
SETUP = "from dsysedu import run\nSEED = 7"


def notebook(path):
    setup = nbformat.v4.new_code_cell(SETUP, id="setup")
    doc = {"nbformat": 4, "nbformat_minor": 5, "cells": [dict(setup)] + json.loads(path.read_text()),
           "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}}
    nb = nbformat.reads(json.dumps(doc), as_version=4)
    nbformat.validate(nb)
    return nb


def test_chapter_fragment_keeps_the_chapter_rules(tmp_path):
    spec = importlib.util.spec_from_file_location("chapter_rules", ROOT / "tests" / "test_chapter_cells.py")
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    path = tmp_path / "fragment.ipynb"
    nbformat.write(notebook(FRAGMENTS[0]), path)
    rules.test_cells_are_short_and_define_nothing(path)
    rules.test_one_way_to_pass_a_seed(path)
    cells = json.loads(FRAGMENTS[0].read_text())
    assert all(c.get("outputs", []) == [] for c in cells)
    assert cells[0]["source"][0].startswith("## 3.3.3 ")


@pytest.mark.parametrize("path", FRAGMENTS, ids=lambda p: p.stem)
def test_fragment_runs(path, tmp_path):
    nb = notebook(path)
    env = {"MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors

"""Package rules: imports point one way, docstring examples run, public names exist."""
from __future__ import annotations

import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = ["dsysedu.viz", "dsysedu.viz.style", "dsysedu.viz.topology", "dsysedu.viz.spacetime",
           "dsysedu.viz.timeline", "dsysedu.viz.animate"]


def _python(code: str) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO)


def test_importing_the_views_does_not_import_pyplot():
    _python("import sys, dsysedu.viz; assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")


def test_the_simulator_knows_nothing_of_matplotlib():
    _python("import sys, dsysedu, dsysedu.protocols.basics.toys; assert 'matplotlib' not in sys.modules")


def test_public_names():
    import dsysedu.viz as viz
    for name in viz.__all__:
        assert getattr(viz, name) is not None
    for mod in MODULES[1:]:
        assert importlib.import_module(mod).__all__


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_models_and_checkers_know_nothing_of_views_or_widgets():
    # every module of sim/, protocols/, check/ and formal/ imported; none may pull in matplotlib or ipywidgets
    code = """
import importlib, pkgutil, sys
import dsysedu
for pkg in ("sim", "protocols", "check", "formal"):
    base = importlib.import_module("dsysedu." + pkg)
    for info in pkgutil.iter_modules(base.__path__):
        importlib.import_module(f"dsysedu.{pkg}.{info.name}")
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "ipywidgets"))
assert not bad, bad[:5]
"""
    _python(code)

"""show_source: the package's code, highlighted, with where it lives."""
from __future__ import annotations

import pytest

from dsysedu.sim.scenario import Scenario, sort_key
from dsysedu.viz.source import show_source


def test_a_function_with_its_module_path_and_line():
    src = show_source(sort_key)
    assert src.name == "dsysedu.sim.scenario.sort_key" and src.path == "dsysedu/sim/scenario.py"
    with open(src.path.replace("dsysedu/", __import__("dsysedu").__path__[0] + "/", 1)) as f:
        assert f.read().splitlines()[src.line - 1].startswith("def sort_key")
    html = src._repr_html_()
    assert "dsysedu.sim.scenario.sort_key" in html and "<span" in html and "line" in html
    assert repr(src).startswith("# dsysedu.sim.scenario.sort_key (dsysedu/sim/scenario.py")


def test_a_method_is_dedented_and_a_class_shown_whole():
    method = show_source(Scenario.run)
    assert method.code.startswith("def run(") and method.name == "dsysedu.sim.scenario.Scenario.run"
    assert show_source(Scenario).code.startswith("@dataclass") or show_source(Scenario).code.startswith("class")


def test_no_source_is_a_type_error():
    with pytest.raises(TypeError, match="no Python source"):
        show_source(42)
    with pytest.raises(TypeError, match="no Python source"):
        show_source(len)

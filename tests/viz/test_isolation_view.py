"""The isolation anomaly view: one arrow and one label per dependency of the cycle, coloured by kind."""
from __future__ import annotations

import doctest

import matplotlib
import matplotlib.text
import pytest

import dsysedu.viz.isolation as module
from dsysedu.check.isolation import Transaction, check_isolation
from dsysedu.viz.isolation import DEPENDENCY_COLORS, anomaly_view

WRITE_SKEW = [Transaction(1, "a", [("r", "x", []), ("append", "y", 1)]),
              Transaction(2, "b", [("r", "y", []), ("append", "x", 2)]),
              Transaction(3, "c", [("r", "x", [2]), ("r", "y", [1])])]


def test_doctests():
    assert doctest.testmod(module).failed == 0


def test_the_cycle_is_drawn_edge_by_edge():
    v = check_isolation(WRITE_SKEW)
    ax = anomaly_view(v, "G2", transactions=WRITE_SKEW)
    arrows = [c for c in ax.texts if isinstance(c, matplotlib.text.Annotation) and c.arrow_patch is not None]
    labels = [t for t in ax.texts if t.get_text() in DEPENDENCY_COLORS]
    assert [t.get_text() for t in labels] == ["rw", "rw"]
    assert all(matplotlib.colors.same_color(t.get_color(), DEPENDENCY_COLORS["rw"]) for t in labels)
    assert len(arrows) == 2
    assert {"T1", "T2"} <= {t.get_text() for t in ax.texts}
    assert "G2" in ax.get_title(loc="left")
    assert any("append y=1" in t.get_text() for t in ax.texts)


def test_no_cycle_is_a_clear_error():
    with pytest.raises(ValueError, match="no cycle"):
        anomaly_view(check_isolation(WRITE_SKEW[:1]))

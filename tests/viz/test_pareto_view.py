"""The Pareto view: points, labels, the front joined."""
import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from dsysedu.viz.pareto import pareto_plot  # noqa: E402


def test_front_line_joins_the_undominated_points():
    t = pd.DataFrame({"cost": [1, 2, 3, 4], "avail": [0.5, 0.9, 0.8, 0.95], "kind": ["x", "y", "x", "y"]},
                     index=["a", "b", "c", "d"])
    ax = pareto_plot(t, "cost", "avail", better=(-1, 1), by="kind")
    front = [line for line in ax.get_lines() if line.get_label() == "Pareto front"][0]
    assert sorted(front.get_xdata()) == [1, 2, 4]          # c is beaten by b
    assert {t.get_text() for t in ax.texts} == {"a", "b", "c", "d"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y", "Pareto front"]


def test_bad_columns():
    with pytest.raises(ValueError):
        pareto_plot(pd.DataFrame({"a": [1]}), "a", "b")
    with pytest.raises(ValueError):
        pareto_plot(pd.DataFrame({"a": [1], "b": [2]}), "a", "b", better=(1, 0))


def test_panels_side_by_side():
    from dsysedu.viz.pareto import pareto_panels
    t = pd.DataFrame({"a": [1, 2], "b": [2, 1], "c": [0.1, 0.3]}, index=["p", "q"])
    axes = pareto_panels(t, [("a", "b", (1, 1), "A", "B"), ("a", "c", (-1, 1), "A", "C")])
    assert [ax.get_ylabel() for ax in axes] == ["B", "C"]
    with pytest.raises(ValueError):
        pareto_panels(t, [])

"""curves and strips: one call from a table of measurements to a labelled picture."""
from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from dsysedu.viz import style
from dsysedu.viz.curves import MARKERS, curves, strips


@pytest.fixture
def runs():
    """Long form: two settings, three sizes, three seeds each."""
    rows = [{"n": n, "mode": mode, "seed": seed, "rounds": np.log2(n) * (1 if mode == "push" else 0.7) + seed}
            for mode in ("push", "push-pull") for n in (10, 100, 1000) for seed in range(3)]
    return pd.DataFrame(rows)


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_long_form_averages_the_seeds_and_shades_their_spread(runs):
    ax = curves(runs, x="n", y="rounds", by="mode", band="range", logx=True)
    push, pull = ax.get_lines()
    assert push.get_label() == "push" and list(push.get_xdata()) == [10, 100, 1000]
    expected = runs[runs["mode"] == "push"].groupby("n").rounds.mean().to_numpy()
    assert np.allclose(push.get_ydata(), expected)
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band.min(), np.log2(10)) and np.isclose(band.max(), np.log2(1000) + 2)
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_xticklabels()] == ["10", "100", "1000"]
    assert ax.get_xlabel() == "n" and ax.get_ylabel() == "rounds" and _legend(ax) == ["push", "push-pull"]
    assert mcolors.same_color(push.get_color(), style.series_color(0)) and push.get_marker() == MARKERS[0]
    assert pull.get_marker() == MARKERS[1]


def test_std_band_is_mean_plus_minus_one_deviation(runs):
    ax = curves(runs[runs["mode"] == "push"], x="n", y="rounds", band="std")
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band.max() - np.log2(1000) - 1, 1.0)   # seeds 0, 1, 2: std 1 around mean + 1


def test_wide_form_one_series_per_column_and_reference_lines():
    table = pd.DataFrame({"physical": [0, 2, 5], "Lamport": [0, 0, 0]}, index=pd.Index([0, 10, 20], name="skew"))
    ax = curves(table, ylabel="pairs", reference={"theory": lambda x: x / 4}, hlines={4: "a bound"},
                vlines={15: "a moment"}, title="t")
    assert _legend(ax) == ["physical", "Lamport", "theory", "a bound", "a moment"]
    theory = ax.get_lines()[2]
    assert theory.get_linestyle() == "--" and mcolors.same_color(theory.get_color(), style.ANNOTATION)
    assert np.isclose(theory.get_ydata()[-1], 5.0) and ax.get_xlabel() == "skew" and ax.get_title(loc="left") == "t"


def test_a_mapping_gives_each_series_its_own_x_and_one_unnamed_series_has_no_legend():
    ax = curves({"2 processes": pd.Series([2, 6, 20], index=[1, 2, 3]), "3 processes": ([1, 2], [6, 90])},
                logy=True, markers=False)
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [3, 2] and ax.get_yscale() == "log"
    assert ax.get_lines()[0].get_marker() in (None, "None", "")
    single = curves(pd.Series([1.0, 2.0], index=[0, 1], name="value"))
    assert single.get_legend() is None


def test_points_only_steps_labels_and_panels(runs):
    ax = curves({"points": ([0, 1, 2], [1, 3, 2])}, lines=False)
    assert ax.get_lines()[0].get_linestyle() == "None"
    assert curves({"count": ([0, 1, 2], [1, 3, 4])}, step=True).get_lines()[0].get_drawstyle() == "steps-post"
    labelled = curves(pd.DataFrame({"t": [0.1, 0.2], "rate": [0.5, 0.1], "param": ["a", "b"]}), x="t", y="rate",
                      labels="param")
    assert [t.get_text() for t in labelled.texts] == ["a", "b"]
    table = runs.assign(cost=runs.rounds * 2)
    axes = curves(table, x="n", y=["rounds", "cost"], by="mode", panels=True, title=["left", "right"])
    assert len(axes) == 2 and axes[0].get_legend() is None and _legend(axes[1]) == ["push", "push-pull"]
    assert [a.get_ylabel() for a in axes] == ["rounds", "cost"] and axes[1].get_title(loc="left") == "right"


def test_bad_input_says_what_is_wrong(runs):
    with pytest.raises(ValueError, match="no column 'missing'"):
        curves(runs, x="n", y="missing")
    with pytest.raises(ValueError, match="band"):
        curves(runs, x="n", y="rounds", band="iqr")
    with pytest.raises(ValueError, match="panels"):
        curves(runs, x="n", y="rounds", panels=True)
    with pytest.raises(ValueError, match="one column"):
        curves(runs, x="n", y=["rounds", "seed"], by="mode")
    with pytest.raises(TypeError, match="DataFrame"):
        curves([1, 2, 3])
    with pytest.raises(ValueError, match="no points"):
        curves({"empty": ([], [])})


def test_strips_one_row_per_setting_first_on_top():
    runs = pd.DataFrame({"setting": ["adversary"] * 3 + ["coin"] * 2, "rounds": [30, 30, 30, 2, 5]})
    ax = strips(runs, "rounds", "setting", vlines={30: "the bound"})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["coin", "adversary"]
    top = ax.collections[0].get_offsets()
    assert len(top) == 3 and np.allclose(top[:, 0], 30) and top[:, 1].min() > 0.5   # three distinct dots
    assert _legend(ax) == ["the bound"]
    with pytest.raises(ValueError, match="no column"):
        strips(runs, "missing", "setting")

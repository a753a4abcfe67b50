"""The histogram view: bars, shaded ranges, marks, and refusals."""
import math

import matplotlib
import pytest

matplotlib.use("Agg")

from dsysedu.viz import histogram  # noqa: E402


def test_histogram_counts_every_finite_value_and_names_the_missing():
    ax = histogram([0.1, 0.2, 0.2, math.nan], bins=2, spans={"range": (0.1, 0.3)}, vlines={0.2: "median"})
    heights = [p.get_height() for p in ax.containers[0]]
    assert sum(heights) == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "measured (3 runs, 1 without a value)" in labels and "range" in labels and "median" in labels


def test_histogram_refuses_no_data():
    with pytest.raises(ValueError, match="finite"):
        histogram([math.nan])
    with pytest.raises(TypeError, match="mapping"):
        histogram([1.0], spans=[(0, 1)])

"""The explanation view: the metric with the incident shaded, the SHAP bars beside it."""
import numpy as np
import pandas as pd
import pytest

from dsysedu.viz.xai import explanation_view


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def test_bars_most_anomalous_first_and_the_metric_drawn():
    idx = np.arange(0, 20, 2.0)
    frame = pd.DataFrame({"a p99": np.r_[np.zeros(5), np.ones(5)], "b p99": np.zeros(10)}, index=idx)
    shap = pd.DataFrame({"a p99": np.r_[np.zeros(5), -np.ones(5)], "b p99": np.full(10, 0.1)}, index=idx)
    left, right = explanation_view(frame, shap, frame["a p99"] > 0.5, ("leak", 10.0, 20.0))
    assert left.get_ylabel() == "a p99"
    labels = [t.get_text() for t in right.get_yticklabels()]
    assert labels[-1] == "a p99"                             # the top bar is the most negative
    assert right.patches[-1].get_width() == pytest.approx(-5.0)
    with pytest.raises(ValueError, match="covers no window"):
        explanation_view(frame, shap, frame["a p99"] > 0.5, ("later", 50.0, 60.0))

"""The canary view: two ECDFs of the judged latencies, medians marked."""
from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")

from dsysedu.viz.canary import latency_ecdf  # noqa: E402


def test_two_staircases_that_end_at_one_and_the_medians():
    ax = latency_ecdf(SimpleNamespace(samples=([0.010, 0.012, 0.014], [0.020, 0.030])))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:2]] == ["baseline (3 requests)", "new version (2 requests)"]
    assert list(lines[0].get_ydata())[-1] == 1.0 and list(lines[1].get_xdata()) == [20.0, 30.0]
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"baseline median", "new version median"}


def test_a_release_without_samples_is_refused():
    with pytest.raises(ValueError, match="judged nothing"):
        latency_ecdf(SimpleNamespace(samples=()))

"""Why the detector fired: SHAP values that add up to the forest's output, per incident; the operator's trust."""
import numpy as np
import pytest

from dsysedu import run
from dsysedu.ops.explain import alerts, explain_windows, feature_frame, fit_detector, incident_report, operator_trust
from dsysedu.ops.services import service_scenario
from dsysedu.sim.faults import Slow

INCIDENTS = [("slow inventory", 30.0, 40.0)]


@pytest.fixture(scope="module")
def runs():
    history = feature_frame(run(service_scenario(rate=10, duration=200), seed=8))
    frame = feature_frame(run(service_scenario(rate=10, duration=80, faults=[Slow("inventory", at=30, delay=0.04,
                                                                                   until=40)]), seed=7))
    det = fit_detector(history, seed=7)
    return history, frame, det, explain_windows(det, frame)


def test_feature_frame_columns(runs):
    history, frame, _, _ = runs
    assert list(frame.columns)[0] == "gateway rate" and "inventory p99" in frame and "store error_ratio" in frame
    assert not frame.isna().any().any() and frame.index[1] - frame.index[0] == 2.0


def test_shap_values_add_up_to_the_forest_output(runs):
    _, frame, det, (values, expected) = runs
    assert values.shape == frame.shape
    # TreeExplainer explains the forest's mean path length, which score_samples turns into 2 ** (-E[h] / c(n))
    n = det.forest.max_samples_
    c = 2 * (np.log(n - 1) + np.euler_gamma) - 2 * (n - 1) / n
    score = -(2.0 ** (-(expected + values.sum(axis=1).to_numpy()) / c))
    assert np.allclose(score, det.forest.score_samples(frame.to_numpy()), atol=1e-6)


def test_the_incident_is_found_and_blamed_on_the_metric_that_moved(runs):
    _, frame, det, (values, _) = runs
    report = incident_report(det, frame, INCIDENTS, shap_values=values)
    row = report.iloc[0]
    assert row["fired"] and 30.0 <= row["first_alert"] < 40.0
    assert row["shap_top"] == row["moved_most"] == "inventory p99" and row["shap_value"] < 0 and row["agree"]
    with pytest.raises(ValueError, match="covers no window"):
        incident_report(det, frame, [("later", 500.0, 510.0)], shap_values=values)


def test_alerts_merge_consecutive_windows():
    assert alerts([0, 1, 1, 0, 1], [0, 2, 4, 6, 8]) == [(2.0, 4.0), (8.0, 8.0)]
    assert alerts([], []) == []


def test_explanations_let_the_operator_tell_right_from_wrong(runs):
    _, frame, det, (values, _) = runs
    blind = operator_trust(det, frame, INCIDENTS, explained=False, shap_values=values, seed=1)
    seen = operator_trust(det, frame, INCIDENTS, explained=True, error_rate=0.0, shap_values=values, seed=1)
    assert blind["alerts"] == seen["alerts"] == blind["right"] + blind["wrong"] and seen["right"] >= 1
    assert seen["overrode_right"] == 0 and seen["followed_right"] == seen["right"]
    for counts in (blind, seen):
        assert counts["followed_right"] + counts["overrode_right"] == counts["right"]
        assert counts["followed_wrong"] + counts["overrode_wrong"] == counts["wrong"]


def test_no_request_no_features():
    with pytest.raises(ValueError, match="no request"):
        feature_frame(run(service_scenario(rate=0.001, duration=0.01, drain=0.0), seed=1))

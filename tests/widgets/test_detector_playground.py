"""The failure-detection playground: the timeout and φ-threshold sliders move along the trade-off."""
import pytest

from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector, PhiAccrualDetector
from dsysedu.widgets import FAILURE_DETECTION, Playground, detector_scenario


def test_the_timeout_slider_trades_detection_time_for_mistakes():
    pg = Playground(FAILURE_DETECTION)
    pg.controls["timeout"].value = 0.14
    eager = dict(pg.measures)
    pg.controls["timeout"].value = 0.9
    patient = dict(pg.measures)
    assert patient["mean detection time (s)"] > eager["mean detection time (s)"]
    assert patient["false suspicions"] <= eager["false suspicions"] and eager["false suspicions"] > 0


def test_the_threshold_slider_drives_the_phi_detector():
    pg = Playground(FAILURE_DETECTION)
    pg.controls["detector"].value = "phi accrual"
    assert pg.trace is not None and "phi" in pg.scenario().name
    pg.controls["threshold"].value = 1.0
    low = dict(pg.measures)
    pg.controls["threshold"].value = 12.0
    high = dict(pg.measures)
    assert high["mean detection time (s)"] > low["mean detection time (s)"]


def test_the_builder_picks_the_detector_and_refuses_what_cannot_work():
    assert detector_scenario().protocol is HeartbeatDetector
    assert detector_scenario("phi accrual", threshold=5.0).params["threshold"] == 5.0
    assert detector_scenario("phi accrual").protocol is PhiAccrualDetector
    with pytest.raises(ValueError, match="detector"):
        detector_scenario("oracle")
    with pytest.raises(ValueError, match="longer than the interval"):
        detector_scenario(timeout=0.05)

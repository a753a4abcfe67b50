"""Alert rules, alert events and their scoring against hand-made and injected incidents."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.ops.alerting import BurnRate, Threshold, alerts, compare, score, sli_frame, sre_workbook
from dsysedu.ops.anomaly import EWMAZScore, IsolationForestRule
from dsysedu.ops.incidents import Incident, incident_scenario
from dsysedu.ops.telemetry import spans
from dsysedu.sim import run


def frame_of(bad, requests=100, window=1.0):
    bad = np.asarray(bad, dtype=float)
    n = len(bad)
    req = np.full(n, requests, dtype=float)
    return pd.DataFrame({"start": np.arange(n) * window, "end": (np.arange(n) + 1) * window, "requests": req,
                         "bad": bad, "bad_ratio": bad / req})


# -- scoring against hand-made incident sets ---------------------------------------------------------

def test_score_counts_alerts_and_incidents_exactly():
    incidents = [(10.0, 20.0), (48.0, 60.0), (70.0, 75.0)]
    # 12: first incident; 25: inside the grace of the first; 50, 51: second; 90: nothing; 5: before any
    s = score([5.0, 12.0, 25.0, 50.0, 51.0, 90.0], incidents, grace=5.0)
    assert s.precision == pytest.approx(4 / 6)
    assert s.recall == pytest.approx(2 / 3)
    assert s.incidents.time_to_detect.tolist()[:2] == [2.0, 2.0] and math.isnan(s.incidents.time_to_detect[2])
    assert s.alerts.incident.isna().tolist() == [True, False, False, False, False, True]
    assert s.mean_time_to_detect == 2.0


def test_grace_decides_whether_a_late_alert_counts():
    late = [26.0]
    assert score(late, [(10.0, 20.0)], grace=5.0).recall == 0.0
    assert score(late, [(10.0, 20.0)], grace=6.0).recall == 1.0
    assert score(late, [(10.0, 20.0)], grace=6.0).incidents.time_to_detect[0] == 16.0


def test_an_alert_that_started_before_the_incident_does_not_detect_it():
    # not point-adjusted: an alert firing at 8 and still on during (10, 20) is a false alarm, and the
    # incident is missed (no alert *fired* inside it)
    s = score(pd.DataFrame({"fired": [8.0], "resolved": [30.0]}), [(10.0, 20.0)], grace=0.0)
    assert s.precision == 0.0 and s.recall == 0.0


def test_no_alerts_and_no_incidents_give_nan_not_a_guess():
    assert math.isnan(score([], [(1.0, 2.0)]).precision)
    assert math.isnan(score([3.0], []).recall)


def test_one_alert_may_count_for_two_overlapping_incidents():
    s = score([15.0], [(10.0, 20.0), (12.0, 30.0)], grace=0.0)
    assert s.recall == 1.0 and s.precision == 1.0
    assert s.incidents.time_to_detect.tolist() == [5.0, 3.0]


@settings(max_examples=60, deadline=None)
@given(times=st.lists(st.floats(0, 200), max_size=20),
       windows=st.lists(st.tuples(st.floats(0, 180), st.floats(0.1, 30)), min_size=1, max_size=6),
       grace=st.floats(0, 20))
def test_score_agrees_with_a_brute_force_count(times, windows, grace):
    incidents = [(a, a + d) for a, d in windows]
    s = score(times, incidents, grace)
    inside = [t for t in times if any(a <= t <= b + grace for a, b in incidents)]
    assert (math.isnan(s.precision) and not times) or s.precision == pytest.approx(len(inside) / len(times))
    found = [any(a <= t <= b + grace for t in times) for a, b in incidents]
    assert s.recall == pytest.approx(sum(found) / len(found))
    assert (s.incidents.time_to_detect.dropna() >= 0).all()


# -- rules on hand-made frames --------------------------------------------------------------------------

def test_threshold_holds_like_prometheus_for():
    frame = frame_of([0, 50, 50, 0, 50, 50, 50, 0])
    assert alerts(frame, Threshold("bad_ratio", 0.2)).fired.tolist() == [2.0, 5.0]
    held = alerts(frame, Threshold("bad_ratio", 0.2, hold=3.0))
    assert held.fired.tolist() == [7.0] and held.resolved.tolist() == [8.0]


def test_burn_rate_needs_both_windows():
    # SLO 99 %: budget 1 %; 14.4x means more than 14.4 % bad over 60 s and over 5 s (scale 60)
    rule = sre_workbook(0.99)[0]
    assert rule.windows(frame_of([0] * 100)) == (60, 5) and rule.threshold == pytest.approx(0.144)
    short_blip = frame_of([0] * 100 + [100] * 3 + [0] * 100)          # 300 bad out of 6000 in 60 s: 5 %
    assert alerts(short_blip, rule).empty
    outage = frame_of([0] * 100 + [100] * 20 + [0] * 100)
    fired = alerts(outage, rule)
    # long window: 100 bad per s / 6000 > 0.144 after 9 s of outage; short: > 14.4 % at once
    assert fired.fired.tolist() == [109.0]
    # it stops once the short window is clean again: 5 s after the outage
    assert fired.resolved.tolist() == [125.0]


def test_sre_workbook_ratios_survive_the_time_scale():
    for scale in (60.0, 300.0):
        rules = sre_workbook(0.999, scale=scale)
        assert [r.long / r.short for r in rules] == [12.0, 12.0, 12.0]
        assert [r.factor for r in rules] == [14.4, 6.0, 1.0]
        # share of a 30-day budget each rule lets burn in its long window: 2 %, 5 %, 10 %
        assert [round(r.factor * r.long / (30 * 86400), 3) for r in rules] == [0.02, 0.05, 0.1]


def test_ewma_fires_on_a_jump_and_does_not_learn_the_incident():
    rng = np.random.default_rng(1)
    level = np.concatenate([np.full(200, 0.01), np.full(40, 0.3), np.full(60, 0.01)])
    frame = frame_of(100 * np.clip(level + rng.normal(0, 0.002, len(level)), 0, 1))
    rule = EWMAZScore(alpha=0.1, z=4.0, warmup=50.0, floor=0.01)
    fired = alerts(frame, rule)
    assert fired.fired.tolist() == [201.0] and fired.resolved.tolist() == [241.0]   # the whole incident, once
    z = rule.scores(frame)
    assert (z[:50] == 0).all() and z[210] > 4


def test_isolation_forest_is_seeded_and_fires_on_the_outliers():
    rng = np.random.default_rng(2)
    bad = rng.poisson(1, 300).astype(float)
    bad[200:220] = 60
    frame = frame_of(bad)
    frame["p99"] = 0.03 + rng.normal(0, 0.001, 300)
    rule = IsolationForestRule(columns=("bad_ratio", "p99"), train_until=150.0, seed=3)
    a, b = alerts(frame, rule), alerts(frame, rule)
    pd.testing.assert_frame_equal(a, b)
    s = score(a, [(200.0, 220.0)], grace=0.0)
    assert s.recall == 1.0 and s.incidents.time_to_detect[0] <= 2.0


@pytest.mark.parametrize("make, says", [
    (lambda: BurnRate(1.0, 3600, 300, 14.4), "slo"),
    (lambda: BurnRate(0.99, 300, 3600, 14.4), "short window"),
    (lambda: Threshold("p99", 0.1, severity="sms"), "severity"),
    (lambda: EWMAZScore(alpha=0), "alpha"),
    (lambda: IsolationForestRule(contamination=0.9), "contamination"),
    (lambda: IsolationForestRule(columns="p99"), "columns"),
])
def test_bad_rules_are_refused(make, says):
    with pytest.raises((ValueError, TypeError), match=says):
        make()


def test_rules_name_missing_columns_and_short_training():
    with pytest.raises(ValueError, match="no column 'p99'"):
        alerts(frame_of([0, 1]), Threshold("p99", 0.1))
    with pytest.raises(ValueError, match="at least 10 windows"):
        alerts(frame_of([0] * 20), IsolationForestRule(columns=("bad_ratio",), train_until=5.0))
    with pytest.raises(TypeError, match="rule"):
        alerts(frame_of([0]), ["p99 > 1"])


# -- on injected incidents ----------------------------------------------------------------------------

INCIDENTS = [Incident("crash", "inventory", 80.0, 100.0), Incident("partition", "orders", 150.0, 165.0),
             Incident("slow_link", ("orders", "store"), 200.0, 230.0, severity=0.05)]


@pytest.fixture(scope="module")
def incident_run():
    return run(incident_scenario(INCIDENTS, duration=260.0, loss=0.0005), seed=7)


def test_sli_frame_counts_every_user_request_once(incident_run):
    frame = sli_frame(incident_run)
    roots = [s for s in spans(incident_run) if s.parent_id is None and s.finished]
    assert frame.requests.sum() == len(roots)
    assert frame.errors.sum() == sum(s.status == "ERROR" for s in roots)
    assert frame.slow.sum() == sum(s.status == "OK" and s.duration > 0.1 for s in roots)
    quiet = frame[frame.end <= 75]
    assert quiet.bad.sum() / quiet.requests.sum() < 0.01
    with pytest.raises(ValueError, match="served no request"):
        sli_frame(incident_run, service="payments")


def test_every_detector_finds_the_loud_incidents_within_seconds(incident_run):
    frame = sli_frame(incident_run)
    table = compare(frame, {"static": Threshold("bad_ratio", 0.2), "burn rate": sre_workbook(0.99),
                            "ewma": EWMAZScore(hold=2.0, floor=0.05),
                            "forest": IsolationForestRule(train_until=75.0, seed=7)}, INCIDENTS)
    assert (table.recall == 1.0).all()
    ttd = table[[c for c in table.columns if c.startswith("ttd ")]]
    assert (ttd.drop(index="forest") <= 10.0).all().all()
    assert ttd.loc["forest", "ttd crash inventory"] <= 10.0 and ttd.loc["forest", "ttd partition orders"] <= 10.0
    assert table.loc["static", "precision"] == 1.0 and table.loc["burn rate", "precision"] == 1.0


def test_the_same_seed_gives_the_same_alerts():
    sc = incident_scenario(INCIDENTS[:1], duration=120.0)
    a = alerts(sli_frame(run(sc, seed=3)), sre_workbook(0.99))
    b = alerts(sli_frame(run(sc, seed=3)), sre_workbook(0.99))
    pd.testing.assert_frame_equal(a, b)
    assert len(a) >= 2

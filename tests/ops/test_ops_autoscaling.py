"""The HPA rule as the Kubernetes docs state it, the replica simulator, the Pareto front, the forecast."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from dsysedu.ops.autoscaling import DAY, HPA, Load, daily_load, hpa_desired, pareto_front, simulate
from dsysedu.ops.forecast import (ForecastModel, PredictiveScaler, best_start, bucket_means, holt_winters_forecast,
                                  with_batch)


def flat(rps, steps=200, step=15.0):
    return Load(np.arange(steps) * step, np.asarray(rps, float) * np.ones(steps), step, ())


def test_hpa_rule_and_tolerance():
    assert hpa_desired(4, 75.0, 50.0) == 6                     # ceil(4 * 1.5)
    assert hpa_desired(3, 51.0, 50.0) == 3 and hpa_desired(3, 45.5, 50.0) == 3   # within 10 %
    assert hpa_desired(3, 56.0, 50.0) == 4                     # 1.12 > 1.1: ceil(3.36)
    assert hpa_desired(10, 20.0, 50.0) == 4


@given(st.integers(1, 500), st.floats(0.0, 1e4), st.floats(1.0, 500.0))
def test_hpa_rule_is_ceil_outside_the_tolerance(current, metric, target):
    d = hpa_desired(current, metric, target)
    ratio = metric / target
    assert d == current if abs(ratio - 1) <= 0.1 else d == math.ceil(current * ratio)


def test_scale_down_waits_for_the_stabilisation_window():
    hpa = HPA(target=50.0, min_replicas=1)
    assert hpa.recommend(0.0, 10, 10, 500.0) == 10
    # the load halves: the raw rule says 5, the window still holds the 10 of t=0
    for t in (15.0, 150.0, 300.0):
        assert hpa.recommend(t, 10, 10, 250.0) == 10
    assert hpa.recommend(315.0, 10, 10, 250.0) == 5            # t=0 left the 300 s window
    # a scale-up is applied at once
    assert hpa.recommend(330.0, 5, 5, 500.0) == 10


def test_a_short_dip_does_not_remove_replicas():
    rps = np.full(100, 500.0)
    rps[40:44] = 100.0                                          # one minute of dip
    run = simulate(Load(np.arange(100) * 15.0, rps, 15.0, ()), HPA(target=50.0, min_replicas=1), initial=10)
    assert run.frame["replicas"].min() == 10
    without = simulate(Load(np.arange(100) * 15.0, rps, 15.0, ()), HPA(target=50.0, min_replicas=1,
                                                                       stabilisation=0.0), initial=10)
    assert without.frame["replicas"].min() < 10


def test_new_replicas_serve_only_after_startup():
    rps = np.r_[np.full(10, 100.0), np.full(40, 400.0)]
    run = simulate(Load(np.arange(50) * 15.0, rps, 15.0, ()), HPA(target=50.0, min_replicas=1), initial=2,
                   startup=60.0, per_replica=60.0)
    f = run.frame
    assert f.loc[10, "replicas"] == 2 and f.loc[11, "replicas"] == 8      # asked for at step 10
    assert (f.loc[11:13, "ready"] == 2).all() and f.loc[14, "ready"] == 8  # ready 60 s (4 steps) later
    assert f.loc[10:13, "violation"].all() and not f.loc[14:, "violation"].any()
    assert run.violation_minutes == 4 * 15 / 60


def test_cost_is_replica_hours():
    run = simulate(flat(100.0, steps=240), HPA(target=50.0, min_replicas=1), initial=2)
    assert run.replica_hours == pytest.approx(2 * 240 * 15 / 3600)


def test_load_is_seeded_and_has_a_daily_cycle():
    a, b = daily_load(days=2, seed=3), daily_load(days=2, seed=3)
    assert np.array_equal(a.rps, b.rps) and a.bursts == b.bursts
    assert not np.array_equal(a.rps, daily_load(days=2, seed=4).rps)
    noon, midnight = a.rps[int(DAY / 2 / 15)], a.rps[0]
    assert noon > 2 * midnight
    with pytest.raises(ValueError, match="amplitude"):
        daily_load(base=10, amplitude=20)


def test_pareto_front():
    df = pd.DataFrame({"replica_hours": [1, 2, 3, 2], "violation_minutes": [5, 1, 2, 1]})
    assert pareto_front(df).tolist() == [True, True, False, True]
    with pytest.raises(ValueError, match="no column"):
        pareto_front(df, x="cost")


def test_holt_winters_forecasts_the_cycle_without_reading_the_future():
    load = daily_load(days=4, bursts_per_day=0, seed=1)
    fc = holt_winters_forecast(load, train_days=3)
    day3 = slice(int(3 * DAY / 15), None)
    assert np.isnan(fc[: day3.start]).all() and not np.isnan(fc[day3]).any()
    assert np.mean(np.abs(fc[day3] - load.rps[day3]) / load.rps[day3]) < 0.1
    # changing the day being forecast does not change its forecast
    other = Load(load.t, np.r_[load.rps[: day3.start], load.rps[day3] * 3], 15.0, ())
    assert np.array_equal(holt_winters_forecast(other, train_days=3), fc, equal_nan=True)
    with pytest.raises(ValueError, match="none is left"):
        holt_winters_forecast(load, train_days=4)
    with pytest.raises(ValueError, match="multiple of the step"):
        bucket_means(load, bucket=100.0)


def test_predictive_scaler_provisions_before_the_load_arrives():
    rps = np.r_[np.full(40, 100.0), np.full(60, 600.0)]
    load = Load(np.arange(100) * 15.0, rps, 15.0, ())
    model = ForecastModel(load, rps, target=50.0, lead=180.0, headroom=1.0)
    pred = simulate(load, PredictiveScaler(model, HPA(target=50.0, min_replicas=1)), startup=180.0)
    react = simulate(load, HPA(target=50.0, min_replicas=1), startup=180.0)
    assert pred.violation_minutes == 0 < react.violation_minutes


def test_batch_goes_where_the_forecast_is_lowest():
    assert best_start([5, 4, 1, 1, 6, 0], 2, 0, 3) == 2
    assert best_start([5, 4, 1, 1, 6, 0], 1, 0, 5) == 5
    with pytest.raises(ValueError, match="latest"):
        best_start([1, 2, 3], 2, 0, 2)
    load = flat(10.0, steps=10)
    assert with_batch(load, 2, 3, 5.0).rps.tolist() == [10, 10, 15, 15, 15, 10, 10, 10, 10, 10]


def test_compare_scalers_and_batch_placement_on_a_short_load():
    from dsysedu.ops.forecast import batch_placement, compare_scalers, evaluation_part
    load = daily_load(days=4, seed=5)
    test, f = evaluation_part(load, holt_winters_forecast(load, train_days=2))
    assert len(test) == 2 * DAY / 15 and not np.isnan(f).any()
    table = compare_scalers(test, f, targets=(40.0,), headrooms=(1.2,))
    assert list(table["scaler"]) == ["reactive (HPA)", "predictive, headroom 1.2"] and table["pareto"].any()
    batch = batch_placement(test, f).set_index("placement")
    assert batch.loc["forecast trough", "peak_replicas"] <= batch.loc["at release", "peak_replicas"]
    assert batch.loc["at release", "start_hour"] == 9.0


def test_violations_split_by_bursts():
    rps = np.r_[np.full(20, 100.0), np.full(4, 400.0), np.full(20, 100.0)]
    load = Load(np.arange(44) * 15.0, rps, 15.0, ((300.0, 360.0),))
    run = simulate(load, HPA(target=50.0, min_replicas=1), initial=2, startup=60.0)
    split = run.violations_by_burst(load.bursts, after=0.0)
    assert split == {"in_bursts": run.violation_minutes, "outside": 0.0} and run.violation_minutes > 0


def test_office_hours_rise_in_about_the_given_minutes():
    load = daily_load(days=1, rise_minutes=20, noise=0.0, bursts_per_day=0, seed=0)
    hour = load.t / 3600
    assert load.rps[hour < 6].max() < 110 and load.rps[(hour > 9) & (hour < 19)].min() > 490
    rising = (load.rps > 104) & (load.rps < 496) & (hour < 12)          # 1 % to 99 % of the rise
    assert 18 <= rising.sum() * 15 / 60 <= 25


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_chapter_claims_hold_on_other_days(seed):
    # the forecast removes the morning's violations, and the reactive rule at target 40 is never on the front
    from dsysedu.ops.forecast import compare_scalers, evaluation_part
    load = daily_load(days=5, rise_minutes=20, seed=seed)
    days, ahead = evaluation_part(load, holt_winters_forecast(load, train_days=3))
    table = compare_scalers(days, ahead, targets=(35, 40, 45), headrooms=(1.0, 1.2))
    assert not table[(table.scaler == "reactive (HPA)") & (table.target == 40)].pareto.any()
    reactive = simulate(days, HPA(target=40))
    predictive = simulate(days, PredictiveScaler(ForecastModel(days, ahead, target=40, headroom=1.2),
                                                 HPA(target=40)))
    r, p = reactive.violations_by_burst(days.bursts), predictive.violations_by_burst(days.bursts)
    assert r["outside"] > 5 and r["outside"] > 3 * p["outside"]
    assert predictive.violation_minutes < reactive.violation_minutes

"""Timing models: a timeout above the bound is never wrong under synchrony, is wrong under
asynchrony, and under partial synchrony stops being wrong soon after GST."""
from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import Crash, Scenario, run
from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector, completeness, detector_quality
from dsysedu.protocols.basics.timing import (AdaptiveHeartbeatDetector, AfterGST, gst_sweep, mistakes_after, model_table,
                                      timing_link, timing_scenario)
from dsysedu.sim.network import LogNormal, Uniform

INTERVAL, TIMEOUT, BOUND = 0.1, 0.2, 0.05


def test_sync_is_never_wrong_across_seeds():
    sc = timing_scenario(model="sync", until=4.0, faults=[Crash(3, at=2.0)])
    for seed in range(8):
        tr = run(sc, seed=seed)
        q = detector_quality(tr)
        assert q["false_suspicions"] == 0 and completeness(tr)
        assert tr.messages()["latency"].max() <= BOUND


def test_async_is_wrong_for_some_seeds():
    sc = timing_scenario(model="async", until=4.0)
    wrong = [detector_quality(run(sc, seed=s))["false_suspicions"] for s in range(5)]
    assert max(wrong) > 0


@settings(max_examples=15, deadline=None)
@given(gst=st.floats(0.0, 3.0), seed=st.integers(0, 10_000))
def test_partial_no_false_suspicion_starts_after_gst_plus_timeout(gst, seed):
    tr = run(timing_scenario(model="partial", gst=gst, until=gst + 1.5), seed=seed)
    m = detector_quality(tr)["mistakes"]
    # every message sent at t arrives by max(t, gst) + bound ...
    msgs = tr.messages()
    delivered = msgs[msgs.status == "delivered"]
    assert (delivered.deliver_time <= delivered.send_time.clip(lower=gst) + BOUND + 1e-9).all()
    # ... so with timeout > interval + bound no suspicion of a live node starts at gst + timeout or later,
    # and every one ends by gst + interval + bound
    if len(m):
        assert m.start.max() < gst + TIMEOUT
        assert m.end.max() <= gst + INTERVAL + BOUND + 1e-9


def test_more_asynchrony_more_mistakes():
    df = gst_sweep([0.5, 3.0], seeds=range(4))
    mean = df.groupby("gst").false_suspicions.mean()
    assert mean[3.0] > mean[0.5] > 0


def test_model_table_orders_the_three_models():
    df = model_table(seeds=range(3), until=4.0)
    mean = df.groupby("model").false_suspicions.mean()
    assert mean["sync"] == 0 and mean["async"] > mean["partial"] > 0
    assert df[df.model == "sync"].strong_accuracy.all()


def test_adaptive_detector_stops_erring_when_the_bound_is_unknown():
    # its first timeout (0.12 s) is below interval + bound: it must learn the bound from its mistakes
    for seed in range(4):
        tr = run(timing_scenario(AdaptiveHeartbeatDetector, "partial", gst=1.0, until=6.0,
                                        params={"timeout": 0.12, "increase": 0.05}), seed=seed)
        assert mistakes_after(tr, 3.0) == 0
        assert detector_quality(tr)["false_suspicions"] > 0
        timeouts = [dict(v) for v in tr.observations("timeouts")["value"]]
        assert timeouts and max(max(t.values()) for t in timeouts) > 0.12


def test_the_fixed_detector_with_the_same_short_timeout_keeps_erring():
    tr = run(timing_scenario(HeartbeatDetector, "partial", gst=1.0, until=6.0,
                                    params={"interval": 0.1, "timeout": 0.12}), seed=0)
    assert mistakes_after(tr, 3.0) > 0


def test_after_gst_latency_needs_the_time():
    lat = AfterGST(gst=1.0, before=LogNormal(0.02, 2.0), after=Uniform(0.0, 0.05), bound=0.05)
    rnd = random.Random(0)
    assert all(lat.sample_at(rnd, 0.5) <= 0.55 + 1e-12 for _ in range(500))
    assert all(lat.sample_at(rnd, 2.0) <= 0.05 for _ in range(500))
    with pytest.raises(TypeError, match="sample_at"):
        lat.sample(rnd)


def test_bad_input():
    with pytest.raises(ValueError, match=r"model must be one of \('sync', 'async', 'partial'\)"):
        timing_link("eventually")
    with pytest.raises(ValueError, match="at most bound"):
        AfterGST(gst=1.0, after=Uniform(0.0, 0.2), bound=0.05)
    with pytest.raises(ValueError, match="gst must be >= 0"):
        timing_scenario(model="partial", gst=-1.0)
    with pytest.raises(ValueError, match="at least one GST"):
        gst_sweep([])
    with pytest.raises(ValueError, match="increase must be > 0"):
        Scenario(AdaptiveHeartbeatDetector, nodes=2, params={"increase": 0.0}).run()


def test_same_seed_same_trace():
    sc = timing_scenario(model="partial", gst=1.0, until=2.0)
    assert run(sc, seed=5) == run(sc, seed=5)
    assert not math.isnan(gst_sweep([1.0], seeds=[5], until=2.0).last_end.iloc[0])

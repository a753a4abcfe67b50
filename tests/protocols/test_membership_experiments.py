"""The failure-detection experiments the lessons of chapters 2.1 and 3.4 call."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dsysedu import Crash, LinkModel, Pause, Scenario, run
from dsysedu.protocols.membership import experiments as fdx
from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector, PhiAccrualDetector, tradeoff


def test_heartbeat_scenario_is_the_lesson_scenario_row_for_row():
    by_hand = Scenario(HeartbeatDetector, nodes=4, params={"interval": 0.1, "timeout": 0.25},
                       link=LinkModel(latency=0.01), faults=[Crash(3, at=1.0)], until=3.0)
    assert run(fdx.heartbeat_scenario(LinkModel(latency=0.01)), seed=7).rows == run(by_hand, seed=7).rows
    paused = fdx.heartbeat_scenario(nodes=3, timeout=0.35, faults=[Pause(2, at=0.5, until=1.5)], until=2.0, seed=4)
    assert paused.seed == 4 and paused.params == {"interval": 0.1, "timeout": 0.35} and len(paused.faults) == 1
    assert fdx.heartbeat_scenario(faults=[]).faults == ()
    with pytest.raises(ValueError):
        fdx.heartbeat_scenario(nodes=1)


def test_suspicion_reading_names_the_right_and_the_wrong_suspects():
    read = fdx.suspicion_reading()
    assert [read(s) for s in (set(), frozenset({3}), {1}, {1, 3})] == \
        ["nobody", "node 3 only", "a live node (mistake)", "a live node (mistake)"]


def test_phi_over_time_rises_after_the_crash_and_matches_the_run():
    sc = Scenario(PhiAccrualDetector, nodes=3, params={"threshold": 3.0}, faults=[Crash(2, at=1.0)], until=2.0)
    times = np.arange(0.0, 2.0, 0.01)
    level, trace = fdx.phi_over_time(sc, 0, 2, times, seed=7)
    assert list(level.index) == list(times) and level.name == "phi"
    assert level[level.index < 1.0].max() < 3.0 < level.iloc[-1]
    assert trace.rows == run(sc.replace(until=2.0), seed=7).rows[:len(trace.rows)]
    with pytest.raises(TypeError, match="PhiAccrualDetector"):
        fdx.phi_over_time(fdx.heartbeat_scenario(), 0, 1, [0.5])
    with pytest.raises(ValueError, match="decrease"):
        fdx.phi_over_time(sc, 0, 1, [0.5, 0.2])


def test_tradeoff_points_and_playground_metrics():
    t = tradeoff(HeartbeatDetector, [{"timeout": 0.2}, {"timeout": 0.5}], seeds=[0], until=3.0)
    both = fdx.tradeoff_points({"heartbeat": t, "again": t})
    assert list(both.setting) == ["heartbeat"] * 2 + ["again"] * 2 and list(both.value) == ["0.2", "0.5"] * 2
    assert isinstance(both, pd.DataFrame) and len(both) == 4
    with pytest.raises(ValueError):
        fdx.tradeoff_points({})
    metrics = fdx.heartbeat_metrics(run(fdx.heartbeat_scenario(LinkModel(latency=0.01)), seed=1))
    assert metrics == {"mean detection time (s)": metrics["mean detection time (s)"], "false suspicions": 0,
                       "mean mistake (s)": metrics["mean mistake (s)"]}
    assert 0.25 <= metrics["mean detection time (s)"] <= 0.36

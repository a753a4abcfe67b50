"""The election after a leader crash, and the heartbeat interval's trade-off (chapter 3.1.3)."""
import math

import pytest

from dsysedu.protocols.consensus.raft.experiments.election import election_time, election_times, heartbeat_sweep
from dsysedu.protocols.consensus.raft.experiments.timeouts import leader_crash_run

T = 0.15



def test_election_times_lie_after_the_timer_minus_one_heartbeat():
    df = election_times(range(40), election_timeout=T, heartbeat=0.05)
    assert df.election_s.notna().all()
    # a follower's timer restarted at the last heartbeat, at most one interval before the crash
    assert (df.election_s > T - 0.05).all()
    # the first of four timers drawn from [T, 2T] runs out: the median is well inside the range
    assert T < df.election_s.median() < 1.5 * T
    # an election that needed a second candidacy (a split vote) is the only way past 2T + a round trip
    assert (df[df.election_s > 2 * T + 0.05].candidacies >= 2).all()


def test_election_time_is_deterministic_per_seed():
    a, b = election_times([3, 4]), election_times([3, 4])
    assert a.equals(b)


def test_election_time_reads_a_run_without_a_crash_as_missing():
    trace = leader_crash_run(seed=0, until=6.0)
    trace.meta["leader_crash"] = (None, 2.5)
    assert all(math.isnan(v) for v in election_time(trace).values())


def test_short_heartbeats_prevent_elections_under_loss_long_ones_cause_them():
    sweep = heartbeat_sweep(heartbeats=(0.01, 0.125), seeds=range(10), loss=0.1)
    assert sweep.loc[0.01, "spurious"] == 0
    assert sweep.loc[0.125, "spurious"] > 1
    assert sweep.loc[0.01, "messages_per_s"] > 5 * sweep.loc[0.125, "messages_per_s"]


@pytest.mark.parametrize("kwargs", [{"heartbeat": 0.2}, {"heartbeat": 0.15}, {"election_timeout": 0}])
def test_refuses_settings_that_cannot_work(kwargs):
    with pytest.raises(ValueError):
        election_times([0], **kwargs)

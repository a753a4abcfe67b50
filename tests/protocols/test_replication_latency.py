"""The latency cost of consistency: quorum waits in WARS, CP against AP in the simulator."""
import pytest

from dsysedu import run
from dsysedu.check.history import History, Operation
from dsysedu.protocols.replication import cap
from dsysedu.protocols.replication.latency import cp_ap_latency, operation_latency, quorum_latency


def test_a_bigger_quorum_waits_longer_and_the_same_seed_gives_the_same_numbers():
    small, big = quorum_latency(5, 1, 1, seed=3, trials=5000), quorum_latency(5, 3, 5, seed=3, trials=5000)
    assert big["write_median"] > small["write_median"] and big["read_median"] > small["read_median"]
    assert big["write_p99"] >= big["write_median"]
    assert quorum_latency(5, 3, 5, seed=3, trials=5000) == big


def test_quorum_latency_refuses_impossible_quorums():
    with pytest.raises(ValueError):
        quorum_latency(3, 4, 1)
    with pytest.raises(TypeError):
        quorum_latency(3, 1, 1, delays="fast")


def test_operation_latency_keeps_completed_operations_only():
    h = History([Operation(0, "A", "write", "x", 1, invoke=0.0, complete=0.25),
                 Operation(1, "A", "read", "x", invoke=1.0, complete=None, status="info"),
                 Operation(2, "B", "read", "x", invoke=1.0, complete=1.5, status="fail")])
    df = operation_latency(h)
    assert df.id.tolist() == [0] and df.latency.tolist() == [0.25]
    with pytest.raises(TypeError):
        operation_latency([])


def test_linearizable_register_pays_about_three_times_the_latency_of_the_available_one():
    table = cp_ap_latency(seeds=range(2), until=2.0)
    cp, ap = table.loc["CP"], table.loc["AP"]
    # AP: one round trip to the home replica; CP: that, plus two round trips to a majority
    assert (cp.median_ms > 2.5 * ap.median_ms).all()
    # and the CP history is linearizable, the price's reward
    assert cap.check_history(History.from_trace(run(cap.cap_scenario("CP", partition=None, until=2.0), seed=0)))

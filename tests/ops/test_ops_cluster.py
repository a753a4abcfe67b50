"""The simulated cluster: instances of services as simulator nodes, calls spread by weight."""
import pytest

from dsysedu import run
from dsysedu.ops.cluster import Cluster, instance_id, service_of
from dsysedu.ops.telemetry import red_totals

LINKS = [("gateway", "orders"), ("orders", "store")]


def cluster(**extra):
    return Cluster({"gateway-0": "1", "orders-0": "1", "orders-1": "1", "store-0": "1", **extra}, LINKS)


def test_weights_decide_the_share_of_calls():
    red = red_totals(run(cluster().scenario(rate=100.0, duration=4.0, weights={"orders-1": 9.0}), seed=5))
    share = red["orders-1"]["requests"] / (red["orders-0"]["requests"] + red["orders-1"]["requests"])
    assert 0.85 < share < 0.95
    red = red_totals(run(cluster().scenario(rate=100.0, duration=4.0, weights={"orders-1": 0.0}), seed=5))
    assert "orders-1" not in red


def test_a_version_behaves_as_declared():
    c = cluster()
    c.add("orders-1", "2-bad")
    c.behaviour[("orders", "2-bad")] = {"error_rate": 1.0}
    red = red_totals(run(c.scenario(rate=50.0, duration=2.0, retries=0), seed=1))
    assert red["orders-1"]["errors"] == red["orders-1"]["requests"] > 0 and red["orders-0"]["errors"] == 0


def test_a_service_without_instances_fails_its_callers():
    c = Cluster({"gateway-0": "1"}, LINKS[:1])
    red = red_totals(run(c.scenario(rate=20.0, duration=1.0, retries=0), seed=1))
    assert red["gateway-0"]["errors"] == red["gateway-0"]["requests"] > 0


def test_same_seed_same_trace():
    assert run(cluster().scenario(duration=1.0), seed=2).rows == run(cluster().scenario(duration=1.0), seed=2).rows


def test_ids_and_bad_input():
    assert service_of(instance_id("orders", "canary")) == "orders"
    with pytest.raises(ValueError):
        Cluster({"nodash": "1"})
    with pytest.raises(ValueError):
        Cluster(links=[("a", "a")])
    with pytest.raises(ValueError, match="weights"):
        cluster().scenario(weights={"orders-9": 1.0})

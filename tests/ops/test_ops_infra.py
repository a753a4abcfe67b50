"""Chapter 8.2: desired state, plan, apply, drift and repair; applying twice changes nothing."""
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import run
from dsysedu.ops.cluster import Cluster
from dsysedu.ops.infra import (Change, DesiredState, ServiceSpec, apply, drift, load_desired, plan, write_desired)
from dsysedu.ops.telemetry import red_totals

DATA = Path(__file__).resolve().parents[2] / "data" / "cluster.toml"
NAMES = ("gateway", "orders", "inventory", "store")


def test_the_data_file_plans_one_create_per_replica_then_nothing():
    desired = load_desired(DATA)
    cluster = Cluster()
    first = apply(desired, cluster)
    assert [c.op for c in first].count("create") == sum(s.replicas for s in desired.services) == 8
    assert plan(desired, cluster).empty and "No changes" in plan(desired, cluster).text()
    assert cluster.services()["orders"] == ("1.4.0",) * 3


def test_the_applied_cluster_serves_every_request():
    cluster = Cluster()
    apply(load_desired(DATA), cluster)
    red = red_totals(run(cluster.scenario(rate=30.0, duration=2.0), seed=3))
    assert sum(v["errors"] for v in red.values()) == 0
    assert {k for k in red if k.startswith("orders")} == {"orders-0", "orders-1", "orders-2"}


def test_drift_after_out_of_band_changes_is_named_and_repaired():
    desired = load_desired(DATA)
    cluster = Cluster()
    apply(desired, cluster)
    cluster.remove("orders-1")              # an instance died
    cluster.add("inventory-0", "1.7.3-hotfix")   # a hand-made hotfix
    cluster.add("orders-7", "1.4.0")        # someone scaled by hand
    cluster.unlink("orders", "store")
    d = drift(desired, cluster)
    assert set(d) == {Change("create", "orders-1", None, "1.4.0"),
                      Change("update", "inventory-0", "1.7.3-hotfix", "1.7.2"),
                      Change("destroy", "orders-7", "1.4.0", None), Change("link", "orders -> store")}
    text = d.text()
    assert "+ orders-1 (1.4.0)" in text and "~ inventory-0: version 1.7.3-hotfix -> 1.7.2" in text
    assert "Plan: 1 to add, 1 to change, 1 to destroy, 1 link change." in text
    apply(desired, cluster)
    assert drift(desired, cluster).empty


def test_json_round_trip(tmp_path):
    desired = load_desired(DATA)
    assert load_desired(write_desired(desired, tmp_path / "cluster.json")) == desired


specs = st.builds(lambda versions, replicas: tuple(ServiceSpec(n, v, r) for n, v, r in zip(NAMES, versions, replicas)),
                  st.lists(st.sampled_from(["1.0", "1.1", "2.0"]), min_size=4, max_size=4),
                  st.lists(st.integers(0, 4), min_size=4, max_size=4))
links = st.frozensets(st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)).filter(lambda x: x[0] != x[1]))
instances = st.dictionaries(st.builds(lambda s, i: f"{s}-{i}", st.sampled_from(NAMES + ("cache",)), st.integers(0, 5)),
                            st.sampled_from(["0.9", "1.0", "2.0"]), max_size=10)


@settings(max_examples=80, deadline=None)
@given(services=specs, wanted_links=links, start=instances, start_links=links)
def test_apply_is_idempotent_and_converges_from_any_cluster(services, wanted_links, start, start_links):
    desired = DesiredState(services, wanted_links)
    cluster = Cluster(start, start_links)
    apply(desired, cluster)
    after_once = cluster.snapshot()
    assert apply(desired, cluster).empty                  # the second apply plans nothing...
    assert cluster.snapshot() == after_once               # ...and changes nothing
    want = {f"{s.name}-{i}": s.version for s in services for i in range(s.replicas)}
    assert cluster.instances == want and cluster.links == set(wanted_links)


@settings(max_examples=40, deadline=None)
@given(services=specs, start=instances)
def test_the_plan_does_not_depend_on_how_the_cluster_was_built(services, start):
    desired = DesiredState(services, frozenset())
    forward, backward = Cluster(dict(start)), Cluster(dict(reversed(list(start.items()))))
    assert plan(desired, forward) == plan(desired, backward)


def test_bad_desired_states_are_refused():
    with pytest.raises(ValueError, match="replicas"):
        ServiceSpec("orders", "1.0", -1)
    with pytest.raises(ValueError, match="declared twice"):
        DesiredState((ServiceSpec("gateway", "1", 1), ServiceSpec("gateway", "2", 1)))
    with pytest.raises(ValueError, match="link"):
        DesiredState((ServiceSpec("gateway", "1", 1),), {("gateway", "nowhere")})
    with pytest.raises(ValueError, match="entry"):
        DesiredState((ServiceSpec("orders", "1", 1),))
    with pytest.raises(ValueError, match="version"):
        DesiredState.from_dict({"services": {"gateway": {"replicas": 1}}})
    with pytest.raises(ValueError, match="unknown keys"):
        DesiredState.from_dict({"services": {}, "region": "eu"})
    with pytest.raises(ValueError, match=".toml or .json"):
        load_desired("cluster.yaml")
    with pytest.raises(TypeError):
        plan("desired", Cluster())
    with pytest.raises(ValueError, match="no instance"):
        Cluster().remove("orders-0")
    with pytest.raises(ValueError, match="no instance"):
        Cluster().scenario()

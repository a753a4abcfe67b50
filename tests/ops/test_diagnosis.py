"""Diagnosing a slow node with dashboards only, and with traces: the same culprit, fewer steps."""
import pytest

from dsysedu import run
from dsysedu.ops.diagnosis import (diagnose_by_metrics, diagnose_by_traces, diagnosis_table, fanout_scenario,
                                   fanout_topology, self_times)
from dsysedu.ops.telemetry import Span


def test_topology_shape():
    topo = fanout_topology(4, 2)
    assert topo["gateway"] == ("svc0", "svc1", "svc2", "svc3")
    assert topo["svc2"] == ("db0",) and topo["db1"] == ()
    with pytest.raises(ValueError, match="culprit"):
        fanout_scenario(4, culprit="db7")
    with pytest.raises(ValueError, match="inside the run"):
        fanout_scenario(4, at=5.0, until=4.0)


def span(sid, parent, start, end, kind="server", service="s", peer=None):
    attrs = (("service", service),) + ((("peer", peer),) if peer else ())
    return Span("t", sid, parent, sid, service, kind, start, end, "OK", "", attrs)


def test_self_time_merges_parallel_children_and_retries():
    root = span("r", None, 0.0, 1.0)
    a1 = span("a1", "r", 0.1, 0.3, "client", peer="x")     # first attempt to x, then a backoff sleep,
    a2 = span("a2", "r", 0.5, 0.6, "client", peer="x")     # then the retry: 0.1-0.6 is waiting on x
    b = span("b", "r", 0.2, 0.4, "client", peer="y")       # in parallel with the first attempt
    own = self_times([root, a1, a2, b])
    assert own["r"] == pytest.approx(0.5)
    assert own["a1"] == pytest.approx(0.2) and own["b"] == pytest.approx(0.2)


@pytest.mark.parametrize("culprit", ["db0", "svc1"])
def test_both_methods_find_the_slow_node_traces_in_fewer_steps(culprit):
    width = 6
    trace = run(fanout_scenario(width, culprit=culprit, duration=8.0), seed=3)
    by_metrics = diagnose_by_metrics(trace, fanout_topology(width))
    by_traces = diagnose_by_traces(trace)
    assert by_metrics.culprit == culprit and by_traces.culprit == culprit
    assert by_metrics.steps == width + 2 and by_traces.steps <= 4
    assert by_metrics.path[0] == "gateway"


def test_steps_grow_with_width_only_without_traces():
    t = diagnosis_table(widths=(2, 6), culprits=("db0",))
    assert t.right.all()
    m = t[t.method == "metrics"].set_index("width").steps
    assert m[6] - m[2] == 4 and (t[t.method == "traces"].steps <= 4).all()

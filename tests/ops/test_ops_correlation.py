"""RED metrics, the waterfall, and the walk from a latency spike to the slow traces to their logs."""
import numpy as np
import pandas as pd
import pytest

from dsysedu.ops.services import service_scenario
from dsysedu.ops.telemetry import correlate, red_metrics, spans, waterfall
from dsysedu.sim import run
from dsysedu.sim.faults import Slow

SLOW_AT, SLOW_UNTIL = 3.0, 4.0


def slow_run(service, seed=7):
    return run(service_scenario(rate=20.0, duration=8.0, faults=[Slow(service, at=SLOW_AT, delay=0.01,
                                                                      until=SLOW_UNTIL)]), seed=seed)


@pytest.mark.parametrize("service, seed", [("inventory", 7), ("orders", 1), ("store", 2)])
def test_a_slow_service_is_found_from_its_spike(service, seed):
    trace = slow_run(service, seed)
    c = correlate(trace, service)
    t0, t1 = c.window
    assert SLOW_AT <= t0 < SLOW_UNTIL + 1.0          # the spike is in (or just after) the slow period
    assert c.spike_p99 > 3 * c.baseline_p99
    assert c.trace_ids
    chosen = set(c.trace_ids)
    by_trace = {}
    for s in spans(trace):
        by_trace.setdefault(s.trace_id, []).append(s)
    for tid in c.trace_ids:        # each one did pass through the service, slowly, in that window
        mine = [s for s in by_trace[tid] if s.service == service and s.kind == "server"]
        assert any(t0 <= s.end < t1 and s.duration > c.baseline_p99 for s in mine)
    durations = [max(s.duration for s in by_trace[t] if s.service == service and s.kind == "server")
                 for t in c.trace_ids]
    assert durations == sorted(durations, reverse=True)
    assert set(c.spans.trace_id) == chosen and set(c.logs.trace_id) == chosen
    assert c.logs.service.nunique() >= 3 and np.all(np.diff(c.logs.time) >= 0)
    # the other services' own windows, away from the slow period, look as they did before
    red = red_metrics(trace)
    quiet = red[(red.service == service) & (red.end <= SLOW_AT)]
    assert quiet.p99.max() < c.spike_p99 / 3


def test_without_the_fault_there_is_no_such_spike():
    calm = correlate(run(service_scenario(rate=20.0, duration=8.0), seed=7), "inventory")
    assert calm.spike_p99 < correlate(slow_run("inventory"), "inventory").spike_p99 / 3


def test_red_metrics_count_every_request_once():
    trace = run(service_scenario(rate=20.0, duration=3.0, error_rate={"orders": 0.2}, retries=0), seed=4)
    red = red_metrics(trace, window=0.5)
    server = [s for s in spans(trace) if s.kind == "server" and s.finished]
    assert red.requests.sum() == len(server)
    assert red.errors.sum() == sum(s.status == "ERROR" for s in server)
    assert red[red.service == "orders"].errors.sum() > 0 and red[red.service == "store"].errors.sum() == 0
    assert np.allclose(red.rate, red.requests / 0.5)
    with pytest.raises(ValueError, match="window"):
        red_metrics(trace, window=0)


def test_waterfall_is_the_tree_of_one_trace():
    trace = run(service_scenario(rate=10.0, duration=1.0), seed=9)
    tid = spans(trace)[0].trace_id
    w = waterfall(trace, tid)
    assert w.depth.iloc[0] == 0 and pd.isna(w.parent_id.iloc[0])
    # client, call gateway, gateway, 2 x (call svc, svc, call store, store)
    assert len(w) == 3 + 2 * 4 and w.depth.max() == 6
    ids = list(w.span_id)
    for parent, child in zip(w.parent_id[1:], ids[1:]):
        assert ids.index(parent) < ids.index(child)
    with pytest.raises(ValueError, match="trace id"):
        waterfall(trace, "0" * 32)


def test_correlate_refuses_a_service_that_served_nothing():
    with pytest.raises(ValueError, match="served no request"):
        correlate(run(service_scenario(rate=10.0, duration=1.0), seed=1), "payments")

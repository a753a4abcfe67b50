"""The traced service system: the trace context reaches every span of a request, under faults too."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.ops.services import CLIENT, GATEWAY, TOPOLOGY, Request, service_scenario
from dsysedu.ops.telemetry import logs, spans
from dsysedu.ops.tracecontext import parse_traceparent
from dsysedu.sim import run
from dsysedu.sim.faults import Crash, Nemesis, Partition, Pause, Slow

SERVERS = sorted(v for v in TOPOLOGY if v != CLIENT)


def check_context(trace):
    """Every span's trace id is its root's; parents exist; only the client's root spans lack one."""
    all_spans = spans(trace)
    by_id = {s.span_id: s for s in all_spans}
    assert len(by_id) == len(all_spans), "span ids are unique"
    for s in all_spans:
        if s.parent_id is None:
            assert s.service == CLIENT and s.kind == "internal", f"orphan {s}"
            continue
        assert s.parent_id in by_id, f"{s.name} {s.span_id} has no recorded parent"
        root = s
        while root.parent_id is not None:
            parent = by_id[root.parent_id]
            assert parent.trace_id == root.trace_id
            root = parent
        assert root.trace_id == s.trace_id and root.name == "client checkout"
        if s.kind == "server":   # a server span's parent is the caller's client span for this very hop
            caller = by_id[s.parent_id]
            assert caller.kind == "client" and dict(caller.attributes)["peer"] == s.service
    # the header itself: every request sent names the client span that sent it, in its trace
    sent = 0
    for t, kind, node, dst, _m, msg, _v in trace.rows:
        if kind == "send" and isinstance(msg, Request):
            tp = parse_traceparent(msg.traceparent)
            caller = by_id[tp.parent_id]
            assert caller.trace_id == tp.trace_id and caller.service == node and caller.kind == "client"
            assert dict(caller.attributes)["peer"] == dst
            sent += 1
    return all_spans, sent


fault_kinds = st.sampled_from(["crash", "pause", "slow", "partition"])
faults = st.lists(st.tuples(fault_kinds, st.sampled_from(SERVERS), st.floats(0.0, 1.8), st.floats(0.02, 0.8)),
                  max_size=4)


def build(schedule):
    out = []
    for kind, node, at, length in schedule:
        if kind == "crash":
            out.append(Crash(node, at=at, until=at + length))
        elif kind == "partition":           # the node cut off from everyone else for a while
            rest = tuple(v for v in TOPOLOGY if v != node)
            out.append(Partition(((node,), rest), at=at, until=at + length))
        elif kind == "pause":
            out.append(Pause(node, at=at, until=at + length))
        else:
            out.append(Slow(node, at=at, delay=0.02, until=at + length))
    return out


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), loss=st.sampled_from([0.0, 0.05, 0.2]), schedule=faults)
def test_trace_context_reaches_every_span_under_faults(seed, loss, schedule):
    trace = run(service_scenario(rate=15.0, duration=2.0, loss=loss, faults=build(schedule)), seed=seed)
    all_spans, sent = check_context(trace)
    roots = [s for s in all_spans if s.parent_id is None]
    assert roots and sent >= len(roots)
    # every log line belongs to a recorded span of its trace
    by_id = {s.span_id: s for s in all_spans}
    for row in logs(trace).itertuples():
        assert by_id[row.span_id].trace_id == row.trace_id
    # and the faults did bite: with a fault that lasts, some request failed or was retried
    if any(kind in ("crash", "partition") and length >= 0.3 and at <= 1.5 for kind, _, at, length in schedule):
        assert any(s.status == "ERROR" for s in all_spans)


def test_retries_are_new_spans_of_the_same_trace():
    trace = run(service_scenario(rate=20.0, duration=3.0, loss=0.2), seed=5)
    all_spans, _ = check_context(trace)
    retries = [s for s in all_spans if s.kind == "client" and dict(s.attributes)["attempt"] > 0]
    assert retries, "a fifth of the messages lost must cause retries"
    first = {(s.trace_id, s.parent_id, dict(s.attributes)["peer"]) for s in all_spans
             if s.kind == "client" and dict(s.attributes)["attempt"] == 0}
    assert all((s.trace_id, s.parent_id, dict(s.attributes)["peer"]) in first for s in retries)
    assert any(s.status == "ERROR" and "no answer" in s.message for s in all_spans)


def test_a_crash_shows_up_in_spans_and_logs():
    trace = run(service_scenario(rate=20.0, duration=4.0, retries=0, work={"orders": 0.1}, timeout=1.0,
                                 faults=[Crash("orders", at=1.0, until=2.0)]), seed=3)
    all_spans, _ = check_context(trace)
    cut = [s for s in all_spans if s.service == "orders" and not s.finished]
    assert cut and all(s.status == "ERROR" and s.end == 1.0 and s.start <= 1.0 for s in cut)
    failed = [s for s in all_spans if s.service == GATEWAY and s.kind == "server" and s.status == "ERROR"]
    assert failed and all(1.0 <= s.end <= 2.0 + 1.01 for s in failed)
    log = logs(trace)
    errors = log[(log.level == "ERROR") & (log.service == GATEWAY)]
    assert errors.message.str.contains("orders").all() and len(errors) >= len(failed)


def test_errors_of_a_service_reach_the_root():
    trace = run(service_scenario(rate=20.0, duration=3.0, retries=0, error_rate={"store": 0.5}), seed=2)
    all_spans, _ = check_context(trace)
    roots = [s for s in all_spans if s.parent_id is None and s.finished]
    assert {s.status for s in roots} == {"OK", "ERROR"}


def test_same_seed_same_ids_other_seed_other_ids():
    sc = service_scenario(rate=20.0, duration=2.0, loss=0.1, faults=[Crash("inventory", at=0.5, until=0.9)])
    a, b, c = spans(run(sc, seed=11)), spans(run(sc, seed=11)), spans(run(sc, seed=12))
    assert a == b
    assert {s.trace_id for s in a}.isdisjoint({s.trace_id for s in c})


@pytest.mark.parametrize("kwargs, error, says", [
    ({"work": {"payments": 0.1}}, ValueError, "unknown services"),
    ({"error_rate": {"store": 1.5}}, ValueError, "error_rate"),
    ({"retries": -1}, ValueError, "retries"),
    ({"timeout": 0}, ValueError, "timeout"),
    ({"backoff": "linear"}, ValueError, "backoff"),
    ({"rate": 0}, ValueError, "rate"),
    ({"faults": ["crash"]}, TypeError, "Fault"),
])
def test_bad_settings_are_refused(kwargs, error, says):
    with pytest.raises(error, match=says):
        run(service_scenario(**kwargs), seed=0)


@pytest.mark.parametrize("seed", range(6))
def test_trace_context_survives_the_engines_nemesis(seed):
    """Jepsen-style random crashes, pauses and partitions drawn by the engine from the seed."""
    nemesis = Nemesis(crash_rate=0.3, pause_rate=0.2, partition_rate=0.8, mean_downtime=0.3, stop=2.5)
    trace = run(service_scenario(rate=15.0, duration=3.0, loss=0.05, nemesis=nemesis), seed=seed)
    assert any(r[1] in ("crash", "pause", "partition") for r in trace.rows)
    check_context(trace)

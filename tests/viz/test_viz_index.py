"""The views' fast index answers exactly what the Trace's own (slow) methods answer."""
from __future__ import annotations

import numpy as np
import pytest

from dsysedu.viz._index import TraceIndex, as_trace, format_groups, view_end


def _times(trace, n=60):
    ts = set(np.linspace(0, trace.end_time, n).tolist())
    ts.update(r[0] for r in trace.rows[::7])  # exactly at event times too (ties)
    return sorted(ts)


@pytest.mark.parametrize("name", ["ping_trace", "flood_trace", "request_trace", "ping_prefix"])
def test_index_agrees_with_trace(name, request):
    if name == "ping_prefix":  # cut mid-run: messages still on the wire never arrive
        trace = request.getfixturevalue("ping_trace").prefix(1.01)
    else:
        trace = request.getfixturevalue(name)
    idx = TraceIndex(trace)
    keys = set(trace.observations().key)
    for t in _times(trace):
        assert idx.status_at(t) == trace.status_at(t), t
        for key in keys:
            assert idx.value_at(key, t) == trace.value_at(key, t), (key, t)
        got = sorted(int(idx.m_id[i]) for i in idx.in_flight(t))
        assert got == sorted(m["msg_id"] for m in trace.in_flight(t)), t


def test_progress_runs_from_zero_to_one(ping_trace):
    idx = TraceIndex(ping_trace)
    t = 0.02  # the first pings are on the wire
    which = idx.in_flight(t)
    f = idx.progress(which, t)
    assert len(f) and (f >= 0).all() and (f <= 1).all()
    expected = [(t - m["send_time"]) / (m["arrive_time"] - m["send_time"]) for m in ping_trace.in_flight(t)]
    assert np.allclose(sorted(f), sorted(expected))


def test_messages_that_never_arrived_stay_on_the_wire(ping_trace):
    cut = ping_trace.prefix(1.01)
    idx = TraceIndex(cut)
    which = idx.in_flight(5.0)  # long after the cut: still on the wire
    assert len(which) == len(cut.in_flight(5.0)) > 0
    f = idx.progress(which, 5.0)
    assert (f <= 0.9).all() and (f > 0).all()


def test_intervals_and_partitions(ping_trace):
    idx = TraceIndex(ping_trace)
    assert idx.intervals("crash", "recover") == [(3, 0.5, 1.2)]
    assert idx.partitions() == [(1.4, 1.8, ((0, 1), (2, 3, 4)))]
    assert format_groups(((0, 1), (2, 3, 4))) == "{0,1} | {2,3,4}"


def test_stale_when_the_trace_grows(flood_trace):
    idx = TraceIndex(flood_trace)
    assert not idx.stale()
    grown = as_trace(flood_trace.prefix(0.01))
    idx2 = TraceIndex(grown)
    grown.rows.append((0.5, "heal", None, None, None, None, None))
    assert idx2.stale()


def test_a_dataframe_turns_back_into_an_equivalent_trace(ping_trace):
    df = ping_trace.to_frame()
    back = as_trace(df)
    assert back.nodes == ping_trace.nodes
    assert len(back.rows) == len(ping_trace.rows)
    assert back.messages()[["msg_id", "src", "dst", "status"]].equals(
        ping_trace.messages()[["msg_id", "src", "dst", "status"]])
    for t in (0.3, 0.7, 1.5):
        assert back.status_at(t) == ping_trace.status_at(t)
        assert back.value_at("role", t) == ping_trace.value_at("role", t)
    with pytest.raises(TypeError, match="Trace"):
        as_trace([1, 2, 3])


def test_view_end_stops_at_the_last_event_of_a_quiet_run(flood_trace):
    assert flood_trace.ended_by == "quiescent"
    assert view_end(flood_trace) == flood_trace.rows[-1][0] < flood_trace.end_time

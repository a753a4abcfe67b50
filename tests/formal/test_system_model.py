"""S = (P, C, M), local views and cuts: consistency is closure under happens-before."""
from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import Crash, LinkModel, Pause, Scenario, Uniform, run
from dsysedu.formal.system_model import (InFlight, SystemModel, consistent_cuts, cut_at, global_state,
                                         is_consistent, local_view, process_events)
from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector
from dsysedu.protocols.basics.toys import Flood, PingEcho
from dsysedu.sim import Trace
from dsysedu.viz.clocks import causality_graph
from dsysedu.viz.system_model import system_model_view


def ping_run(seed=1, rounds=2):
    return run(Scenario(PingEcho, nodes=3, params={"rounds": rounds},
                        link=LinkModel(latency=Uniform(0.005, 0.03), reorder=True), until=1.0), seed=seed)


def test_model_from_a_trace_holds_the_messages_on_the_wire():
    tr = ping_run()
    for t in (0.0, 0.004, 0.012, 0.2):
        s = SystemModel.from_trace(tr, t)
        wire = [m for m in tr.in_flight(t) if m["src"] is not None]
        assert s.processes == (0, 1, 2) and len(s.channels) == 6
        assert sorted(m.msg_id for m in s.messages) == sorted(m["msg_id"] for m in wire)
        g = s.graph
        assert isinstance(g, nx.DiGraph) and sum(len(d["in_flight"]) for *_e, d in g.edges(data=True)) == len(wire)


def test_bad_models_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="at least one"):
        SystemModel(())
    with pytest.raises(ValueError, match="distinct"):
        SystemModel((0, 0))
    with pytest.raises(ValueError, match="outside P"):
        SystemModel((0, 1), channels=[(0, 5)])
    with pytest.raises(ValueError, match="not a channel"):
        SystemModel((0, 1, 2), channels=[(0, 1)], messages=[InFlight(0, 1, 0, "m", 0.0)])
    with pytest.raises(TypeError, match="pairs"):
        SystemModel((0, 1), channels=[0])


def test_an_instant_of_true_time_is_a_consistent_cut():
    tr = ping_run(rounds=3)
    for t in [i * 0.01 for i in range(40)]:
        assert is_consistent(tr, cut_at(tr, t)), t


def test_a_receive_without_its_send_is_inconsistent_and_named():
    tr = ping_run()
    deliver = next(s for s, r in enumerate(tr.rows) if r[1] == "deliver" and r[3] is not None)
    d = tr.rows[deliver]
    hist = process_events(tr)
    cut = {n: 0 for n in tr.nodes}   # nothing of the sender; the receiver up to the receive
    cut[d[2]] = hist[d[2]].index(deliver) + 1
    v = is_consistent(tr, cut)
    assert not v and v.events[1] == deliver and tr.rows[v.events[0]][1] == "send"
    assert "without its cause" in v.message
    state = global_state(tr, cut)
    assert state["consistent"] is False


def test_global_state_channels_are_sent_but_not_received():
    tr = ping_run()
    t = 0.012
    state = global_state(tr, cut_at(tr, t))
    wire = [m for m in tr.in_flight(t) if m["src"] is not None and m["src"] != m["dst"]]
    assert sum(len(v) for v in state["channels"].values()) == len(wire)
    assert state["local"][0].get("role") == "pinger"


def _ideal_cuts(trace):
    """Brute force: every vector of prefixes closed under happens-before (graph reachability)."""
    hist = process_events(trace)
    g = causality_graph(trace)
    nodes = list(trace.nodes)
    out = []
    for ks in itertools.product(*(range(len(hist[n]) + 1) for n in nodes)):
        inside = {s for n, k in zip(nodes, ks) for s in hist[n][:k]}
        if all(nx.ancestors(g, s) <= inside for s in inside):
            out.append(dict(zip(nodes, ks)))
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_consistent_cuts_are_exactly_the_causally_closed_ones(seed):
    tr = run(Scenario(PingEcho, nodes=3, params={"rounds": 1}, link=LinkModel(latency=Uniform(0.005, 0.03)),
                      until=1.0), seed=seed)
    brute = _ideal_cuts(tr)
    found = consistent_cuts(tr)
    assert sorted(map(tuple, (c.values() for c in found))) == sorted(map(tuple, (c.values() for c in brute)))
    assert all(is_consistent(tr, c) for c in found)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), ks=st.lists(st.integers(0, 12), min_size=3, max_size=3))
def test_is_consistent_agrees_with_causal_closure(seed, ks):
    tr = run(Scenario(PingEcho, nodes=3, params={"rounds": 2}, link=LinkModel(latency=Uniform(0.005, 0.03),
                                                                                reorder=True), until=1.0), seed=seed)
    hist = process_events(tr)
    cut = {n: min(k, len(hist[n])) for n, k in zip(tr.nodes, ks)}
    inside = {s for n in tr.nodes for s in hist[n][:cut[n]]}
    g = causality_graph(tr)
    closed = all(nx.ancestors(g, s) <= inside for s in inside)
    assert bool(is_consistent(tr, cut)) == closed


def test_cut_validation():
    tr = ping_run()
    with pytest.raises(ValueError, match="from 0 to"):
        is_consistent(tr, {0: 999})
    with pytest.raises(ValueError, match="unknown node"):
        is_consistent(tr, {7: 0})
    with pytest.raises(TypeError, match="dict"):
        is_consistent(tr, [1, 2])
    with pytest.raises(ValueError, match="limit"):
        consistent_cuts(ping_run(rounds=6), limit=50)


def test_nobody_can_tell_a_crash_from_a_pause_until_the_node_wakes():
    def heartbeats(fault):
        return run(Scenario(HeartbeatDetector, nodes=3, params={"interval": 0.1, "timeout": 0.35},
                            faults=[fault], until=2.0), seed=3)
    crashed, paused = heartbeats(Crash(2, at=0.5)), heartbeats(Pause(2, at=0.5, until=1.5))
    for observer in (0, 1):
        assert local_view(crashed, observer, until=1.5) == local_view(paused, observer, until=1.5)
        assert local_view(crashed, observer, until=2.0) != local_view(paused, observer, until=2.0)
    with pytest.raises(ValueError, match="unknown node"):
        local_view(crashed, 9)


def test_draw_returns_axes_with_counts():
    import matplotlib
    matplotlib.use("Agg")
    tr = run(Scenario(Flood, nodes=4, until=1.0), seed=1)
    ax = system_model_view(SystemModel.from_trace(tr, 0.005))
    assert "|P| = 4" in ax.get_title(loc="left") and "|M| in flight = 3" in ax.get_title(loc="left")


def test_hand_made_trace_cut():
    rows = [(0.0, "send", 0, 1, 0, "m", None), (0.1, "deliver", 1, 0, 0, "m", None)]
    tr = Trace([0, 1], rows)
    assert [tuple(c.values()) for c in consistent_cuts(tr)] == [(0, 0), (1, 0), (1, 1)]

"""Clocks against causality: Lamport never contradicts it, vector clocks characterize it, skewed
physical clocks contradict it, and the view draws both panels."""
from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings, strategies as st

from dsysedu import LinkModel, Scenario, Uniform, run
from dsysedu.protocols.basics.toys import Flood, PingEcho
from dsysedu.sim import Trace
from dsysedu.viz.clocks import (causality_graph, clock_comparison, clock_table, clocks_view, physical_stamps,
                                skew_table, spread_offsets)


def ping_run(seed, rounds=3):
    return run(Scenario(PingEcho, nodes=3, params={"rounds": rounds, "interval": 0.05},
                        link=LinkModel(latency=Uniform(0.005, 0.03), reorder=True), until=1.0), seed=seed)


def vless(a, b):
    return a != b and all(x <= y for x, y in zip(a, b))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), skew=st.floats(0.0, 0.1), drift=st.floats(-0.2, 0.2))
def test_lamport_respects_causality_and_vectors_characterize_it(seed, skew, drift):
    tr = ping_run(seed)
    c = clock_comparison(tr, spread_offsets(tr.nodes, skew), {0: drift, 1: 0.0, 2: -drift})
    assert c["lamport_contradictions"] == 0 and c["vector_mismatches"] == 0
    assert c["concurrent"] == tr.concurrent_pairs()
    assert c["ordered"] + 2 * c["concurrent"] == 2 * c["pairs"] - c["ordered"]   # each pair: one way, or neither
    assert c["physical_contradictions"] == len(c["contradicted"])
    # a contradicted pair is causal and its physical stamps run backwards
    phys = physical_stamps(tr, spread_offsets(tr.nodes, skew), {0: drift, 1: 0.0, 2: -drift})
    g = causality_graph(tr)
    for a, b in c["contradicted"][:20]:
        assert b in nx.descendants(g, a) and phys[b] < phys[a]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_vector_order_is_antisymmetric_and_concurrency_symmetric(seed):
    tr = ping_run(seed, rounds=2)
    table = clock_table(tr)
    vs = list(table["vector"])
    seqs = list(table["seq"])
    for i in range(len(vs)):
        for j in range(len(vs)):
            if i == j:
                continue
            assert not (vless(vs[i], vs[j]) and vless(vs[j], vs[i]))
            assert tr.concurrent(seqs[i], seqs[j]) == tr.concurrent(seqs[j], seqs[i])
            if vless(vs[i], vs[j]):
                assert table["lamport"][i] < table["lamport"][j]


def test_with_perfect_clocks_nothing_is_contradicted_but_lamport_still_orders_concurrent_events():
    tr = ping_run(7)
    c = clock_comparison(tr)
    assert c["physical_contradictions"] == 0 and c["backward_messages"] == []
    assert c["concurrent"] > 0 and c["lamport_orders_concurrent"] > 0   # L(a) < L(b) does not imply a -> b


def test_contradictions_grow_with_skew_and_start_above_the_message_delay():
    tr = ping_run(7, rounds=5)
    df = skew_table(tr, [0.0, 0.002, 0.005, 0.02, 0.05, 0.1])
    assert df.physical_contradictions.is_monotonic_increasing
    # no message is stamped backwards while the skew between any two nodes is below the smallest delay
    assert df.loc[df["skew"] <= 0.005, "backward_messages"].eq(0).all()
    assert df.physical_contradictions.iloc[-1] > 0
    assert df.lamport_contradictions.eq(0).all() and df.concurrent.nunique() == 1


def test_physical_stamps_follow_offset_drift_and_jumps():
    rows = [(1.0, "send", 0, 1, 0, "m", None), (1.5, "clock_jump", 1, None, None, None, -1.0),
            (2.0, "deliver", 1, 0, 0, "m", None), (3.0, "partition", None, None, None, ((0,), (1,)), None)]
    tr = Trace([0, 1], rows)
    assert physical_stamps(tr, {0: 0.5, 1: 0.0}, {0: 0.1, 1: 0.0}) == [0.5 + 1.1, 1.5 - 1.0, 2.0 - 1.0, None]
    c = clock_comparison(tr, {0: 0.5, 1: 0.0}, {0: 0.1, 1: 0.0})
    assert c["backward_messages"] == [(0, 2)]


def test_bad_clock_settings():
    tr = ping_run(1)
    with pytest.raises(ValueError, match="between -0.5 and 0.5"):
        physical_stamps(tr, 0.0, 0.9)
    with pytest.raises(ValueError, match="unknown nodes"):
        physical_stamps(tr, {9: 0.1})
    with pytest.raises(ValueError, match="process steps"):
        clock_table(tr, kinds=("partition",))
    with pytest.raises(ValueError, match="'lamport' or 'vector'"):
        clocks_view(tr, stamps="physical")
    with pytest.raises(ValueError, match=">= 0"):
        spread_offsets([0, 1], -1.0)


def test_view_draws_two_panels_and_rings_the_backward_messages():
    tr = ping_run(7)
    offsets = spread_offsets(tr.nodes, 0.03)
    fig = clocks_view(tr, offsets, stamps="vector")
    top, bottom = fig.axes[:2]
    comp = fig.dsysedu_comparison
    assert comp == clock_comparison(tr, offsets)
    assert "0 pairs out of causal order" in top.get_title(loc="left")
    assert f"{comp['physical_contradictions']} of {comp['ordered']}" in bottom.get_title(loc="left")
    ringed = [c for c in bottom.collections if c.get_gid() == "highlight"]
    assert ringed and len(ringed[0].get_offsets()) == 2 * len(comp["backward_messages"]) > 0
    assert bottom.get_xlim()[0] < 0   # node 0's clock is behind: its first readings are negative


def test_view_with_a_time_range_on_a_flood():
    tr = run(Scenario(Flood, nodes=5, link=LinkModel(latency=Uniform(0.005, 0.03)), until=1.0), seed=2)
    fig = clocks_view(tr, spread_offsets(tr.nodes, 0.05), t_range=(0.0, 0.03))
    assert len(fig.axes) >= 2


def test_skew_and_drift_view_has_exactly_the_two_slider_parameters():
    import inspect

    from dsysedu import Scenario, run
    from dsysedu.protocols.basics.toys import PingEcho
    from dsysedu.viz.clocks import clock_comparison, skew_and_drift_view, spread_offsets
    tr = run(Scenario(PingEcho, nodes=3, params={"rounds": 2}), seed=1)
    assert list(inspect.signature(skew_and_drift_view).parameters) == ["trace", "skew_ms", "drift_percent"]
    fig = skew_and_drift_view(tr, skew_ms=40, drift_percent=10)
    assert fig.dsysedu_comparison == clock_comparison(tr, spread_offsets(tr.nodes, 0.04), {2: 0.1})

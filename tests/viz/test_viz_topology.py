"""Topology view: what is drawn at time t matches what the trace says about t."""
from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dsysedu.viz import TopologyView, style, topology


def _artist(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _offsets(artist):
    return np.asarray(artist.get_offsets()).reshape(-1, 2)


def test_draws_and_returns_the_axes(ping_trace):
    fig, ax = plt.subplots()
    assert topology(ping_trace, 0.3, ax=ax) is ax
    assert len(_offsets(_artist(ax, "nodes"))) == 5
    assert ax.get_legend() is not None
    assert "t = 0.300 s" in ax.get_title(loc="left")


def test_crash_cross_only_inside_the_crash_interval(ping_trace, crash_window):
    node, at, until = crash_window
    view = TopologyView(ping_trace)
    index = ping_trace.nodes.index(node)
    crashed_rgba = mcolors.to_rgba(style.CRASHED)
    for t, down in [(at - 0.01, False), (at, True), ((at + until) / 2, True), (until - 1e-6, True),
                    (until, False), (until + 0.2, False)]:
        view.draw(t)
        marks = _offsets(view.crash_artist)
        if down:
            assert len(marks) == 1 and np.allclose(marks[0], view.xy[index]), t
            assert np.allclose(view.node_artist.get_facecolors()[index], crashed_rgba), t
        else:
            assert len(marks) == 0, t
            assert not np.allclose(view.node_artist.get_facecolors()[index], crashed_rgba), t


def test_partition_links_broken_during_and_whole_after(ping_trace, partition_window):
    groups, at, until = partition_window
    view = TopologyView(ping_trace)
    side = {n: i for i, g in enumerate(groups) for n in g}
    across = sum(1 for u, v in view.edges if side[u] != side[v])
    assert across == 6  # complete graph of 5 split 2|3
    view.draw((at + until) / 2)
    assert len(view.broken_artist.get_segments()) == 2 * across  # two halves per cut link
    alpha = view.edge_artist.get_colors()[:, 3]
    assert (alpha == 0).sum() == across  # hidden in the ordinary links
    assert "partition {0,1} | {2,3,4}" in view.title.get_text()
    view.draw(until + 0.1)
    assert len(view.broken_artist.get_segments()) == 0
    assert (view.edge_artist.get_colors()[:, 3] > 0).all()
    assert "partition" not in view.title.get_text()


def test_broken_links_have_a_gap_in_the_middle(ping_trace):
    view = TopologyView(ping_trace)
    view.draw(1.5)
    segs = view.broken_artist.get_segments()
    half = len(segs) // 2
    for first, second in zip(segs[:half], segs[half:]):
        assert np.linalg.norm(second[0] - first[1]) > 0.05


def test_in_flight_dots_match_the_trace(ping_trace):
    view = TopologyView(ping_trace)
    for t in np.linspace(0, 2.5, 41):
        view.draw(t)
        expected = len(ping_trace.in_flight(t))
        assert view.in_flight_count == expected
        assert len(_offsets(view.message_artist)) == expected == view.shown_messages, t


def test_dots_travel_along_their_link_and_are_coloured_by_type(ping_trace):
    view = TopologyView(ping_trace)
    t = 0.02
    flying = ping_trace.in_flight(t)
    view.draw(t)
    dots = _offsets(view.message_artist)
    colors = view.message_artist.get_facecolors()
    for m, dot, rgba in zip(flying, dots, colors):
        a, b = view.xy[ping_trace.nodes.index(m["src"])], view.xy[ping_trace.nodes.index(m["dst"])]
        # the dot is near the segment a-b (offset a little to the side) and between its ends
        along = np.dot(dot - a, b - a) / np.dot(b - a, b - a)
        assert 0 <= along <= 1
        assert np.allclose(rgba, mcolors.to_rgba(style.message_color(m["msg"])))


def test_node_colours_come_from_the_style(ping_trace):
    view = TopologyView(ping_trace)
    view.draw(0.3)
    roles = ping_trace.value_at("role", 0.3)
    for i, n in enumerate(ping_trace.nodes):
        assert np.allclose(view.node_artist.get_facecolors()[i], mcolors.to_rgba(style.node_color(roles[n])))


def test_draw_updates_the_same_artists_in_place(flood_trace):
    view = TopologyView(flood_trace, color_by="role")
    view.draw(0.001)
    nodes_artist, dots, edges = view.node_artist, view.message_artist, view.edge_artist
    before = view.node_artist.get_facecolors().copy()
    n_collections = len(view.ax.collections)
    view.draw(0.05)  # node 2 and 3 have heard the rumor by now
    after = view.node_artist.get_facecolors()
    assert not np.allclose(before, after)
    assert view.node_artist is nodes_artist and view.message_artist is dots and view.edge_artist is edges
    assert len(view.ax.collections) == n_collections
    changed = {i for i in range(len(before)) if not np.allclose(before[i], after[i])}
    assert {flood_trace.nodes.index(2), flood_trace.nodes.index(3)} <= changed


def test_paused_nodes_are_hatched_and_cut_links_marked(flood_trace):
    view = TopologyView(flood_trace)
    view.draw(0.02)  # node 3 paused 0.01-0.04, link 0->1 cut 0-0.03
    assert len(_offsets(view.pause_artist)) == 1
    assert view.pause_artist.get_hatch()
    assert len(view.cut_artist.get_segments()) == 1
    cut = view.cut_artist.get_segments()[0]
    assert np.allclose(cut[0], view.xy[0])  # drawn from the sender's side
    assert len(_offsets(view.cut_marks)) == 1
    view.draw(0.045)
    assert len(_offsets(view.pause_artist)) == 0
    assert len(view.cut_artist.get_segments()) == 0 and len(_offsets(view.cut_marks)) == 0


def test_numeric_colour_key_gets_a_colour_bar(ping_trace):
    view = TopologyView(ping_trace, color_by="rtt")
    view.draw(1.0)
    assert view.numeric and view.colorbar is not None


def test_accepts_a_dataframe_and_explicit_positions(ping_trace):
    pos = {n: (i, i % 2) for i, n in enumerate(ping_trace.nodes)}
    ax = topology(ping_trace.to_frame(), 1.5, pos=pos, show_messages=False, labels=False, legend=False)
    assert np.allclose(_offsets(_artist(ax, "nodes"))[1], [1, 1])
    with pytest.raises(ValueError, match="position"):
        topology(ping_trace, 1.0, pos={0: (0, 0)})


def test_two_thousand_nodes_draw_with_dots_skipped(big_flood_trace):
    trace = big_flood_trace
    times = sorted(trace.observations("informed").time)
    t = float(times[len(times) // 2])  # mid-spread
    view = TopologyView(trace, max_dots=400)
    view.draw(t)
    assert view.in_flight_count == len(trace.in_flight(t)) > 400
    assert view.shown_messages == 0 and "hidden" in view.title.get_text()
    assert view.labels == []
    assert len(_offsets(view.crash_artist)) == 10
    view.fig.canvas.draw()


def test_views_follow_a_trace_that_grows_in_step_mode():
    from dsysedu import Scenario, Simulation
    from dsysedu.protocols.basics.toys import PingEcho
    from dsysedu.viz import SpacetimeView

    sim = Simulation(Scenario(PingEcho, nodes=4, params={"rounds": 5}, until=1.0), seed=1)
    sim.run_until(0.005)
    topo = TopologyView(sim.trace)
    topo.draw(0.005)
    assert topo.in_flight_count == len(sim.trace.in_flight(0.005)) == 3
    st = SpacetimeView(sim.trace)
    st.draw(0.005)
    assert st.ax.dsysedu_counts["arrows"] == 0 and st.ax.dsysedu_counts["unfinished"] == 3
    sim.run_until(0.35)
    topo.draw(0.31)
    assert topo.in_flight_count == len(sim.trace.in_flight(0.31))
    roles = sim.trace.value_at("role", 0.31)
    for i, n in enumerate(sim.trace.nodes):
        assert np.allclose(topo.node_artist.get_facecolors()[i], mcolors.to_rgba(style.node_color(roles[n])))
    st.refresh()
    assert st.ax.dsysedu_counts["arrows"] == sim.trace.count("deliver") > 0
    assert list(st.cursor.get_xdata()) == [0.005, 0.005]  # "now" stays where it was
    assert len([ln for ln in st.ax.lines if ln.get_gid() == "now"]) == 1

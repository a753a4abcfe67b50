"""The gossip playground: its drawing at 20, 200 and 2,000 nodes, then the dashboard in a real browser
(Voila + headless Chromium)."""

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from matplotlib.text import Text

from dsysedu.protocols.membership.gossip import gossip_scenario, run_to_full_spread, spread_stats
from dsysedu.viz import style
from dsysedu.viz.spread import (LARGE_N, SpreadView, hop_layout, spread_curves, spread_figure,
                                spread_style)

from .page import assert_fits, metric as _metric, open_dashboard, wait_settled as _wait_settled, \
    wait_src_change as _wait_src_change

DASHBOARD = "voila/render/gossip_playground.ipynb"


def _run(n, stop=None, seed=3):
    g = nx.random_regular_graph(4, n, seed=seed)
    return run_to_full_spread(gossip_scenario(g, stop=stop, k=2, until=60.0), seed=seed)


@pytest.fixture(scope="module")
def big():
    return _run(2000)


# -- the style follows N --------------------------------------------------------------

@pytest.mark.parametrize("n, large", [(20, False), (200, False), (LARGE_N, False), (LARGE_N + 1, True),
                                      (2000, True)])
def test_style_is_chosen_by_n(n, large):
    st_ = spread_style(n)
    assert st_["large"] is large and st_["links"] is not large and st_["messages"] is not large
    assert st_["layout"] == ("hops" if large else "force") and st_["labels"] is (n <= 40)


def test_style_rejects_a_bad_n():
    with pytest.raises((ValueError, TypeError)):
        spread_style(0)


def test_2000_nodes_draw_with_a_bounded_number_of_artists(big):
    view = SpreadView(big)
    changed = view.draw(big.end_time / 2)
    ax = view.ax_topo
    assert view.style["large"] and not view.topo.edge_artist.get_visible()
    assert view.topo.labels == [] and view.topo.shown_messages == 0
    assert len(view.topo.node_artist.get_offsets()) == 2000          # one collection holds every node
    # nothing grows with N: a fixed set of collections, at most 5 hop rings with their labels
    assert len(ax.get_children()) <= 40 and len(view.rings) <= 5 and len(view.ring_labels) == len(view.rings)
    assert sum(isinstance(a, Text) for a in ax.get_children()) <= 12
    assert len(changed) <= 20 and len(view.ax_curve.lines) <= 8


def test_small_runs_keep_links_labels_and_message_dots():
    view = SpreadView(_run(20))
    view.draw(2.0)
    assert not view.style["large"] and view.topo.edge_artist.get_visible()
    assert len(view.topo.labels) == 20 and view.topo.show_messages


def test_markers_shrink_as_n_grows_and_stay_visible(big):
    sizes = [SpreadView(trace).topo.node_artist.get_sizes()[0] for trace in (_run(400), big)]
    assert sizes[0] > sizes[1] >= 1.0
    assert sizes[1] > style.scale_for(2000)["node_size"]  # touching markers beat the generic tiny dots


# -- the hop layout ---------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300), p=st.floats(0.01, 0.3), seed=st.integers(0, 10_000))
def test_hop_layout_puts_farther_nodes_farther_out(n, p, seed):
    g = nx.gnp_random_graph(n, p, seed=seed)
    origin = seed % n
    pos = hop_layout(g, origin)
    again = hop_layout(g, origin)
    assert set(pos) == set(g) and all(np.array_equal(pos[v], again[v]) for v in g)   # deterministic
    hops = nx.single_source_shortest_path_length(g, origin)
    radius = {v: math.hypot(*pos[v]) for v in g}
    assert radius[origin] == min(radius.values()) and max(radius.values()) <= 1.0
    by_radius = sorted(g, key=radius.get)
    rank = [hops.get(v, math.inf) for v in by_radius]       # unreachable nodes (inf) go to the rim
    assert rank == sorted(rank)


def test_hop_layout_needs_the_origin_in_the_graph():
    with pytest.raises(ValueError, match="origin"):
        hop_layout(nx.path_graph(3), origin=7)


# -- the curves -----------------------------------------------------------------------------

def test_curves_agree_with_spread_stats_and_removed_never_exceeds_informed():
    trace = _run(200, stop="feedback-counter", seed=5)
    c, s = spread_curves(trace), spread_stats(trace)
    assert c["informed"].iloc[-1] == s.informed and c["time"].is_monotonic_increasing
    assert (c["removed"] <= c["informed"]).all() and c["removed"].iloc[-1] > 0
    assert c["informed"].is_monotonic_increasing and c["removed"].is_monotonic_increasing


def test_spread_figure_saves_a_picture(tmp_path):
    fig = spread_figure(_run(50), t=3.0)
    fig.savefig(tmp_path / "spread.png")
    assert (tmp_path / "spread.png").stat().st_size > 10_000 and len(fig.axes) == 2


def test_the_stop_control_runs_rumor_mongering_with_removed_nodes():
    from dsysedu.widgets.gossip_playground import STOPS, GossipPlayground
    pg = GossipPlayground(n=60, seed=2, stop="feedback counter, k = 2")
    view = pg.panel.view
    assert view.curves["removed"].iloc[-1] > 0 and len(pg.panel.ax_curve.lines) >= 4    # a removed curve
    assert "removed" in [t.get_text() for t in pg.panel.ax_topo.get_legend().get_texts()]
    assert pg.trace.end_time < pg.values()["rounds"]      # nobody left spreading: the run stopped early
    pg.controls["mode"].value = "pull"                     # pull has nothing to stop: anti-entropy, said so
    assert "nothing to stop" in pg.status.value and pg.panel.view.curves["removed"].iloc[-1] == 0
    with pytest.raises(ValueError, match="stop"):
        GossipPlayground(n=20, stop="bored")
    assert set(STOPS) >= {"anti-entropy"}


# -- the dashboard in a browser -------------------------------------------------------

@pytest.mark.browser
def test_dashboard_reruns_on_mode_and_scrubs(voila_server, browser_page, artifacts_dir):
    page = browser_page
    open_dashboard(page, voila_server + DASHBOARD)
    first = _wait_settled(page)
    assert first.startswith("blob:") or first.startswith("data:image/png")
    assert _metric(page, "informed share") == "1"
    traffic = _metric(page, "messages per node")

    # 1. a control: mode push -> push-pull re-runs (more messages per node: pull requests too)
    page.locator(".dsysedu-gossip-mode").get_by_text("push-pull", exact=True).click()
    second = _wait_src_change(page, first)
    page.wait_for_function(
        """(old) => { const m = /messages per node\\s+([0-9.]+)/.exec(
                        document.querySelector('div.dsysedu-metrics').innerText);
                      return m && m[1] !== old; }""", arg=traffic, timeout=60_000)
    second = _wait_settled(page)
    traffic2 = _metric(page, "messages per node")

    # 2. the time slider: keyboard on the slider handle -> redraw only
    page.locator(".dsysedu-time .noUi-handle, .dsysedu-time .slider-handle, .dsysedu-time [role=slider]").first.focus()
    for _ in range(80):  # to about the middle of the spread, for the screenshot
        page.keyboard.press("ArrowRight")
    third = _wait_src_change(page, second)
    assert third != first
    assert _metric(page, "messages per node") == traffic2  # scrubbing did not re-run

    _wait_settled(page)
    assert_fits(page, "div.dsysedu-metrics")
    page.screenshot(path=str(artifacts_dir / "dashboard_gossip_playground.png"))
    assert page.unexpected_console_errors() == [], page.console_errors

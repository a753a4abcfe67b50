"""Colours and layout: one place, stable, colour-blind-safe base."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.colors as mcolors
import networkx as nx
import numpy as np
import pytest

from dsysedu.protocols.basics.toys import Ping, Pong
from dsysedu.viz import style
from dsysedu.viz.style import layout, message_color, node_color

REPO = Path(__file__).resolve().parents[2]


def _python(code: str, hashseed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hashseed, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                          cwd=REPO).stdout


def test_named_roles_use_the_okabe_ito_palette():
    okabe = set(style.OKABE_ITO.values())
    for role in ("leader", "follower", "candidate", "origin", "informed", "client", "server", "pinger", "echo",
                 "ok", "unknown"):
        assert node_color(role) in okabe, role
    assert len({node_color(r) for r in ("leader", "follower", "candidate")}) == 3


def test_fixed_meanings():
    assert node_color(None) == style.NO_VALUE
    assert node_color("crashed") == style.CRASHED
    assert node_color("paused") == style.PAUSED
    assert node_color("Leader") == node_color("leader")


def test_unseen_values_get_a_fallback_colour_the_same_every_time():
    a = node_color("a state nobody named")
    assert a in style.FALLBACK
    assert node_color("a state nobody named") == a
    assert node_color(("req", 3)) in style.FALLBACK
    assert node_color(["unhashable"]) in style.FALLBACK
    assert message_color("SomeNewMessage") in style.FALLBACK


def test_fallback_does_not_depend_on_pythons_salted_hash():
    code = ("from dsysedu.viz.style import node_color, message_color;"
            "print(node_color('zebra-state'), message_color('ZebraMsg'))")
    outs = {_python(code, seed) for seed in ("1", "2", "3")}
    assert len(outs) == 1, outs


def test_message_color_takes_a_name_a_class_or_a_message():
    assert message_color("Ping") == message_color(Ping) == message_color(Ping(1))
    assert message_color("Ping") != message_color(Pong)


def test_colours_are_valid_and_numeric_and_text_helpers():
    for c in list(style.NODE_COLORS.values()) + list(style.MESSAGE_COLORS.values()) + list(style.FALLBACK):
        assert mcolors.is_color_like(c)
    lo, hi = style.numeric_color(0, 0, 10), style.numeric_color(10, 0, 10)
    assert lo != hi and len(lo) == 4
    assert style.text_color_on("#000000") == "white"
    assert style.text_color_on(style.NODE_COLORS["waiting"]) == "black"
    assert style.series_color(0) != style.series_color(1)


def test_scale_shrinks_with_size():
    sizes = [style.scale_for(n)["node_size"] for n in (5, 10, 30, 200, 800, 2000)]
    assert sizes == sorted(sizes, reverse=True)
    assert style.scale_for(5)["labels"] and not style.scale_for(200)["labels"]


def test_small_graphs_sit_on_a_circle_starting_at_the_top_clockwise():
    pos = layout(nx.complete_graph(4))
    assert np.allclose(pos[0], [0, 1])
    assert np.allclose(pos[1], [1, 0], atol=1e-12)  # clockwise: the next node is to the right
    assert all(np.isclose(np.hypot(*p), 1.0) for p in pos.values())


def test_layout_is_stable_cached_and_independent_of_insertion_order():
    g = nx.random_regular_graph(3, 30, seed=4)
    h = nx.Graph()
    h.add_nodes_from(sorted(g.nodes, reverse=True))
    h.add_edges_from(reversed(list(g.edges)))
    a, b = layout(g), layout(h)
    assert all(np.allclose(a[n], b[n]) for n in g)
    a[0][:] = 99  # a copy: callers cannot spoil the cache
    assert not np.allclose(layout(g)[0], 99)
    c = layout(g, seed=1)
    assert not all(np.allclose(a[n], c[n]) for n in list(g)[1:])


def test_layout_spreads_nodes_and_keeps_them_in_the_unit_box():
    g = nx.random_regular_graph(4, 200, seed=1)
    xy = np.array(list(layout(g).values()))
    assert np.abs(xy).max() <= 1.0 + 1e-9
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    d[np.diag_indices(len(xy))] = np.inf
    assert d.min() > 1e-3  # no two nodes on top of each other


def test_layout_uses_given_positions_and_survives_odd_graphs():
    g = nx.random_geometric_graph(40, 0.3, seed=2)
    pos = layout(g)
    given = np.array([g.nodes[n]["pos"] for n in sorted(g)])
    got = np.array([pos[n] for n in sorted(g)])
    # same picture up to shift and scale
    assert np.allclose(np.corrcoef(given[:, 0], got[:, 0])[0, 1], 1.0)
    assert layout(nx.empty_graph(20))  # no edges
    assert list(layout(nx.empty_graph(1)).values())[0].tolist() == [0.0, 0.0]
    two = nx.disjoint_union(nx.cycle_graph(10), nx.cycle_graph(10))
    assert len(layout(two)) == 20


@pytest.mark.parametrize("n", [13, 60])
def test_layout_is_deterministic_across_processes(n):
    code = ("import networkx as nx; from dsysedu.viz.style import layout;"
            f"p = layout(nx.random_regular_graph(4, {n}, seed=1)); print(repr(p[5].round(10).tolist()))")
    outs = {_python(code, seed) for seed in ("1", "2")}
    assert len(outs) == 1, outs

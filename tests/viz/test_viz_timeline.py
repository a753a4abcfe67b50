"""Timeline view: step lines for numbers, coloured bands for everything else."""
from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np

from dsysedu.viz import style, timeline


def _bands(ax):
    return [c for c in ax.collections if len(c.get_paths())]


def test_roles_are_bands_in_style_colours_with_crashes_hatched(ping_trace, crash_window):
    ax = timeline(ping_trace, "role")
    assert ax.dsysedu_kind == "categorical"
    colours = {tuple(np.round(fc, 6)) for c in _bands(ax) if not c.get_hatch() for fc in c.get_facecolors()}
    want = {tuple(np.round(mcolors.to_rgba(style.node_color(v)), 6)) for v in ("pinger", "echo")}
    assert colours == want
    hatched = [c for c in _bands(ax) if c.get_hatch()]
    assert len(hatched) == 1
    node, at, until = crash_window
    (x0, y0), (x1, _y1) = hatched[0].get_paths()[0].vertices.min(0), hatched[0].get_paths()[0].vertices.max(0)
    assert np.isclose(x0, at) and np.isclose(x1, until)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"node {n}" for n in ping_trace.nodes]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["pinger", "echo"] and "crashed" in labels


def test_bands_change_where_the_value_changes(flood_trace):
    ax = timeline(flood_trace, "role")
    informed = mcolors.to_rgba(style.node_color("informed"))
    lanes = {n: i for i, n in enumerate(ax.get_yticklabels())}
    starts = sorted(float(c.get_paths()[0].vertices[:, 0].min()) for c in _bands(ax)
                    if np.allclose(c.get_facecolors()[0], informed))
    obs = flood_trace.observations("role")
    assert np.allclose(starts, sorted(obs[obs.value == "informed"].time))
    assert lanes  # one lane per node


def test_numbers_are_step_lines(ping_trace):
    ax = timeline(ping_trace, "rtt")
    assert ax.dsysedu_kind == "numeric"
    steps = [ln for ln in ax.lines if ln.get_drawstyle() == "steps-post"]
    assert len(steps) == 1  # only the pinger measures round trips
    rtt = ping_trace.observations("rtt")
    assert np.allclose(steps[0].get_ydata()[:-1], rtt.value.astype(float))
    assert np.isclose(steps[0].get_xdata()[-1], ping_trace.end_time)
    assert steps[0].get_color() == style.series_color(0)
    assert ax.get_ylabel() == "rtt"
    assert any("node 3 down" in t.get_text() for t in ax.texts)


def test_transform_nodes_and_nothing_observed(request_trace, ping_trace):
    ax = timeline(request_trace, "outcome", transform=lambda o: o[1])
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"ok", "unknown"} <= labels
    ax = timeline(ping_trace, "role", nodes=[4, 0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["node 4", "node 0"]
    ax = timeline(ping_trace, "no-such-key")
    assert any("nothing observed" in t.get_text() for t in ax.texts)


def test_accepts_a_dataframe(ping_trace):
    ax = timeline(ping_trace.to_frame(), "rtt")
    assert ax.dsysedu_kind == "numeric"

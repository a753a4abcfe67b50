"""Animation and stills: replay through draw(t), small output, nothing left open."""
from __future__ import annotations

import re
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from dsysedu.viz import frames, snapshot, to_html
from dsysedu.viz.animate import MAX_FRAMES, AnimationHTML
from dsysedu.viz._index import view_end


def test_frames_are_evenly_spaced_to_the_end(ping_trace, flood_trace):
    ts = frames(ping_trace, 6)
    assert len(ts) == 6 and ts[0] == 0 and np.isclose(ts[-1], view_end(ping_trace))
    assert np.allclose(np.diff(ts), ts[1])
    assert frames(flood_trace, 3)[-1] == flood_trace.rows[-1][0]  # a quiet run: stop at the last event
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="frames"):
            frames(ping_trace, bad)


def test_to_html_is_a_short_offline_player(flood_trace):
    before = plt.get_fignums()
    html = to_html(flood_trace, frames=4, fps=2)
    assert isinstance(html, AnimationHTML) and html._repr_html_() == str(html)
    assert "<script" in html
    assert len(set(re.findall(r"frames\[(\d+)\] = ", html))) == 4
    assert "font-awesome" not in html and ".fa-play:before" in html  # works without a CDN
    assert plt.get_fignums() == before


def test_to_html_single_view_and_bad_arguments(flood_trace):
    assert "<script" in to_html(flood_trace, views="topology", frames=2)
    with pytest.raises(ValueError, match="frames"):
        to_html(flood_trace, frames=MAX_FRAMES + 1)
    with pytest.raises(ValueError, match="views"):
        to_html(flood_trace, views=("topology", "histogram"), frames=2)
    with pytest.raises(ValueError, match="fps"):
        to_html(flood_trace, frames=2, fps=0)


def test_snapshot_draws_both_views_and_saves_a_png(ping_trace, tmp_path, crash_window):
    node, at, until = crash_window
    path = tmp_path / "snap.png"
    before = plt.get_fignums()
    fig = snapshot(ping_trace, (at + until) / 2, path=path)
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    topo = fig.axes[0]
    crosses = [c for c in topo.collections if c.get_gid() == "crash_marks"][0]
    assert len(crosses.get_offsets()) == 1
    now = [ln for ln in fig.axes[1].lines if ln.get_gid() == "now"][0]
    assert np.isclose(now.get_xdata()[0], (at + until) / 2)


def test_now_outside_the_diagram_is_pinned_to_its_edge(flood_trace, tmp_path):
    # a quiet run's diagram ends at its last event; "now" may be later (the CLI asks for end/2)
    t = flood_trace.end_time / 2
    assert t > view_end(flood_trace)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "constrained_layout not applied"
        fig = snapshot(flood_trace, t, path=tmp_path / "late.png")
    now = [ln for ln in fig.axes[1].lines if ln.get_gid() == "now"][0]
    assert now.get_xdata()[0] == fig.axes[1].get_xlim()[1]

"""The playgrounds' pictures in viz: CAP pictures, TraceViews, the panels, and the PNG path without ipywidgets."""
from __future__ import annotations

import doctest
import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dsysedu.protocols.basics import request_reply_scenario
from dsysedu.sim import Crash, run
from dsysedu.viz.cap import cap_layout
from dsysedu.viz.panels import VIEW_NAMES, LivePanel, RunPanel, panel_for

REPO = Path(__file__).resolve().parents[2]
MODULES = ["dsysedu.viz.render", "dsysedu.viz.traceviews", "dsysedu.viz.cap", "dsysedu.viz.panels"]


def _pixels(png):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)))


def test_drawing_a_png_does_not_import_ipywidgets():
    code = """
import sys
from dsysedu.sim import run
from dsysedu.protocols.consensus.raft import figure8_scenario
from dsysedu.protocols.replication.cap import cap_scenario
from dsysedu.protocols.basics import request_reply_scenario
from dsysedu.viz.render import new_figure, png_bytes
from dsysedu.viz.traceviews import TraceViews
from dsysedu.viz.cap import cap_pictures
from dsysedu.viz.panels import panel_for
views = TraceViews(new_figure(12.0, 8.2), run(figure8_scenario()))
views.draw(2.4)
assert png_bytes(views.fig)[:4] == b'\\x89PNG'
png_bytes(cap_pictures(run(cap_scenario("AP"), seed=7), t=1.5))
panel = panel_for(("topology", "spacetime"))()
panel.show(run(request_reply_scenario()), 0.0)
assert panel.png(0.4)[:4] == b'\\x89PNG'
bad = sorted(m for m in sys.modules if m.split(".")[0] == "ipywidgets")
assert not bad, bad[:5]
"""
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, MPLBACKEND="Agg"), cwd=REPO)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
    assert module.__all__


def test_layout_puts_each_side_on_an_arc_and_clients_outside():
    pos = cap_layout(5, {5: 0, 6: 2}, [[0, 1], [2, 3, 4]])
    assert set(pos) == {0, 1, 2, 3, 4, 5, 6}
    radius = {n: float((p ** 2).sum() ** 0.5) for n, p in pos.items()}
    assert all(abs(radius[r] - 1) < 1e-9 for r in range(5)) and radius[5] > 1.5 and radius[6] > 1.5
    assert pos[0][0] > 0 and pos[1][0] > 0 and pos[3][0] < 0  # side A to the right of side B


def test_panel_for_names_what_is_allowed():
    assert panel_for(["raftlog", "topology", "spacetime"]) is LivePanel
    with pytest.raises(ValueError, match="views are chosen from"):
        panel_for(("topology", "pie chart"))
    with pytest.raises(ValueError, match="no panel draws"):
        panel_for(("history", "spread"))
    assert set(VIEW_NAMES) == {v for key in __import__("dsysedu.viz.panels", fromlist=["PANELS"]).PANELS for v in key}


@pytest.mark.parametrize("second", [dict(loss=0.5), dict(loss=0.0, faults=[Crash(1, at=0.3, until=0.9)])])
def test_run_panel_redraws_a_new_run_as_a_fresh_panel_draws_it(second):
    # kept topology and space-time frame (a new loss), or a new legend (a crash): same pixels either way
    panel = RunPanel()
    panel.show(run(request_reply_scenario(loss=0.1)), 0.0)
    panel.png(1.0)
    trace = run(request_reply_scenario(**second), seed=3)
    panel.show(trace, 0.0)
    fresh = RunPanel()
    fresh.show(trace, 0.0)
    assert (_pixels(panel.png(0.8)) == _pixels(fresh.png(0.8))).all()


def test_run_panel_draws_one_view_alone():
    trace = run(request_reply_scenario())
    for views in (("topology",), ("spacetime",)):
        panel = RunPanel(views)
        panel.show(trace, 0.0)
        assert panel.png(0.5)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="RunPanel"):
        RunPanel(("history",))

"""system_model_view and cuts_view (chapter 2.1)."""
from __future__ import annotations

import numpy as np

from dsysedu import LinkModel, Scenario, Uniform, run
from dsysedu.formal import system_model as sm
from dsysedu.protocols.basics import PingEcho
from dsysedu.viz import cuts_view, system_model_view


def _trace():
    return run(Scenario(PingEcho, nodes=3, params={"rounds": 3}, link=LinkModel(latency=Uniform(0.005, 0.03)),
                        until=1.0), seed=7)


def test_cuts_are_lines_across_every_lane_in_order():
    trace = _trace()
    ax = cuts_view(trace, {"straight": 0.012, "bent": {0: 0.05, 1: 0.13, 2: 0.05}}, t_range=(0, 0.2), title="cuts")
    straight, bent = [line for line in ax.get_lines() if line.get_label() in ("straight", "bent")]
    assert list(straight.get_xdata()) == [0.012] * 3 and list(bent.get_xdata()) == [0.05, 0.13, 0.05]
    assert list(straight.get_ydata()) == [0, 1, 2] and straight.get_linestyle() == "-" and bent.get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["straight", "bent"]


def test_system_model_view_counts_p_c_m():
    trace = _trace()
    ax = system_model_view(sm.SystemModel.from_trace(trace, t=0.012), title="t")
    assert ax.get_title(loc="left").startswith("t\n|P| = 3, |C| = 6") and np.isfinite(ax.get_xlim()).all()

"""Guided tours: Prev/Next move every view to the step's time and show its caption."""
from __future__ import annotations

import doctest

import pytest

from dsysedu.protocols.consensus.raft import figure8_scenario
from dsysedu.protocols.basics.toys import PingEcho
from dsysedu.sim import Scenario, run
from dsysedu.viz.render import new_figure
from dsysedu.viz.traceviews import TraceViews
from dsysedu.widgets import Tour
from dsysedu.widgets import tour as tour_module

PNG = b"\x89PNG\r\n\x1a\n"
STEPS = [(0.45, "Term 1: node 1 leads and commits <b>x=1</b>."),
         (2.4, "Figure 8 (c): index 2 is on a majority, but not committed."),
         (4.8, "(d) node 5 overwrote index 2.")]


@pytest.fixture(scope="module")
def fig8():
    return run(figure8_scenario())


def test_next_and_prev_move_the_views_and_the_caption(fig8):
    tour = Tour(fig8, STEPS)
    assert tour.index == 0 and tour.t == 0.45
    assert "x=1" in tour.caption.value and "step <b>1</b> of 3" in tour.counter.value
    assert tour.prev_button.disabled and not tour.next_button.disabled
    first = tour.image.value
    assert first[:8] == PNG
    tour.next_button.click()
    assert tour.index == 1 and tour.t == 2.4
    assert "not committed" in tour.caption.value
    assert tour.image.value != first
    assert tour.panel.topo.t == tour.panel.st.t == tour.panel.log.t == 2.4
    tour.next()
    assert tour.next_button.disabled
    tour.next()  # at the end: stays
    assert tour.index == 2
    tour.prev_button.click()
    assert tour.index == 1 and "Figure 8 (c)" in tour.caption.value


def test_views_follow_the_step_time(fig8):
    tour = Tour(fig8, STEPS)
    tour.go(1)
    assert tour.panel.log.leaders == [1]
    assert tour.panel.log.lengths[5] == 2  # node 5 holds x=3 at index 2, crashed
    tour.go(2)
    assert tour.panel.log.leaders == [5]


def test_log_view_only_for_traces_with_entries():
    trace = run(Scenario(PingEcho, nodes=3, params={"rounds": 3}, until=1.0), seed=1)
    tour = Tour(trace, [(0.0, "start"), (0.2, "pings")], color_by="role")
    assert tour.panel.views == ("topology", "spacetime")
    assert tour.panel.log is None
    tour.next()
    assert tour.image.value[:8] == PNG


def test_window_redraws_the_spacetime_around_each_step(fig8):
    tour = Tour(fig8, STEPS, window=1.0)
    lo, hi = tour.panel.st.ax.get_xlim()
    assert hi - lo < 1.2
    tour.go(2)
    lo2, hi2 = tour.panel.st.ax.get_xlim()
    assert lo2 > lo and lo2 < 4.8 < hi2


def test_bad_steps_and_views_are_refused(fig8):
    with pytest.raises(ValueError, match="at least one"):
        Tour(fig8, [])
    with pytest.raises(ValueError, match="step times"):
        Tour(fig8, [(99.0, "after the end")])
    with pytest.raises(ValueError, match="views"):
        TraceViews(new_figure(), fig8, views=("nope",))
    tour = Tour(fig8, STEPS[:1])
    with pytest.raises(IndexError):
        tour.go(5)


def test_docstring_examples_run():
    assert doctest.testmod(tour_module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0

"""side_by_side: one view of several runs, titled panels, one legend."""
from __future__ import annotations

import pytest

from dsysedu import Crash, Pause, Scenario, run
from dsysedu.protocols.basics.toys import PingEcho
from dsysedu.viz import side_by_side, spacetime, timeline


@pytest.fixture(scope="module")
def runs():
    return {name: run(Scenario(PingEcho, nodes=3, faults=[fault], until=1.0), seed=1)
            for name, fault in (("crash", Crash(2, at=0.3)), ("pause", Pause(2, at=0.3, until=0.6)))}


def test_a_row_of_timelines_with_one_legend(runs):
    axes = side_by_side(timeline, runs, "rtt", sharey=True)
    assert [a.get_title(loc="left") for a in axes] == ["crash", "pause"]
    assert axes[0].get_legend() is None and axes[1].get_legend() is not None
    assert axes[0].get_shared_y_axes().joined(axes[0], axes[1])
    assert axes[0].get_position().y0 == pytest.approx(axes[1].get_position().y0)


def test_a_column_of_spacetime_diagrams_keeps_their_own_subtitle(runs):
    axes = side_by_side(spacetime, runs, rows=2, t_range=(0.0, 0.8))
    first = axes[0].get_title(loc="left").splitlines()
    assert first[0] == "crash" and len(first) == 2 and axes[0].get_position().y0 > axes[1].get_position().y0
    assert axes[0].get_xlim()[1] == pytest.approx(0.8, abs=0.05)


def test_rows_must_divide_and_traces_must_exist(runs):
    with pytest.raises(ValueError, match="divide"):
        side_by_side(spacetime, runs, rows=3)
    with pytest.raises(ValueError, match="at least one"):
        side_by_side(spacetime, {})

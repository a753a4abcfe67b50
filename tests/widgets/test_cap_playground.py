"""The CAP playground driven from Python, as a learner's clicks would drive it."""
from __future__ import annotations

import doctest

import pytest

from dsysedu.sim import Partition
from dsysedu.viz.cap import trace_partition
from dsysedu.widgets import cap_playground as module
from dsysedu.widgets.cap_playground import CapPlayground

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def pg():
    return CapPlayground()


def test_builds_with_a_picture_metrics_and_classes(pg):
    assert pg.image.value[:8] == PNG and pg.runs >= 1
    m = pg.spec.rows(pg.measures)
    assert {"answered", "stale reads", "lost writes", "linearizable"} <= set(m)
    for name in m:
        assert name in pg.info.value
    assert "dsysedu-metrics" in pg.info._dom_classes and "dsysedu-view" in pg.image._dom_classes
    assert "dsysedu-cap-mode" in pg.controls["mode"]._dom_classes
    assert "dsysedu-time" in pg.scrubber.slider._dom_classes


def test_default_cp_refuses_on_the_minority_and_stays_linearizable():
    pg = CapPlayground(mode="CP")
    m = pg.measures
    assert m.answered < 1 and m.failed > 0 and m.stale_reads == 0 and m.lost_writes == 0 and m.linearizable
    assert "1 (yes)" in pg.info.value
    assert [type(f) for f in pg.scenario().faults] == [Partition]
    assert trace_partition(pg.trace) == [(0.5, 2.0)]


def test_switching_to_ap_reruns_and_trades_consistency_for_availability():
    pg = CapPlayground(mode="CP")
    image, trace, runs = pg.image.value, pg.trace, pg.runs
    pg.controls["mode"].value = "AP"
    assert pg.runs == runs + 1 and pg.trace is not trace and pg.image.value != image
    m = pg.measures
    assert m.answered == 1.0 and m.stale_reads > 0 and m.lost_writes > 0 and m.linearizable is False
    assert "0 (no)" in pg.info.value
    pg.controls["mode"].value = "CP"
    assert pg.measures.answered < 1 and pg.measures.linearizable


def test_no_partition_makes_cp_available_again():
    pg = CapPlayground(mode="CP")
    pg.controls["partition"].set_groups([[0, 1, 2, 3, 4]])
    assert pg.values()["partition"] is None and pg.scenario().faults == ()
    assert pg.measures.answered == 1.0 and pg.measures.linearizable


@pytest.mark.parametrize("control, value", [("write_share", 0.9), ("seed", 8)])
def test_other_controls_rerun(pg, control, value):
    runs, trace = pg.runs, pg.trace
    if control == "seed":
        pg.controls["seed"].box.value = value
    else:
        pg.controls[control].value = value
    assert pg.runs == runs + 1 and pg.trace is not trace and pg.image.value[:8] == PNG


def test_a_redrawn_picture_equals_a_fresh_one():
    # re-runs redraw only what changed (bars, title; legend and labels from kept pixels):
    # after any path of changes the picture is the one a new playground draws for the same controls
    pg = CapPlayground()
    pg.controls["seed"].box.value = 102  # a run with outcome-unknown operations: the legend grows
    pg.controls["mode"].value = "AP"
    pg.controls["partition"].window.value = (1.0, 2.5)
    pg.controls["mode"].value = "CP"
    assert pg.image.value == CapPlayground(seed=102, partition_at=1.0, heal_at=2.5).image.value
    pg.controls["partition"].set_groups([[0, 1, 2], [3, 4]])
    pg.scrubber.slider.value = 1.5
    fresh = CapPlayground(seed=102, partition=[[0, 1, 2], [3, 4]], partition_at=1.0, heal_at=2.5)
    fresh.scrubber.slider.value = 1.5
    assert pg.image.value == fresh.image.value


def test_the_partition_window_moves_the_partition(pg):
    pg.controls["partition"].window.value = (1.0, 2.5)
    assert trace_partition(pg.trace) == [(1.0, 2.5)]


def test_scrubbing_redraws_without_rerunning(pg):
    runs, trace = pg.runs, pg.trace
    images = set()
    for frac in (0.1, 0.4, 0.8):
        pg.scrubber.slider.value = pg.trace.end_time * frac
        images.add(pg.image.value)
    assert pg.runs == runs and pg.trace is trace and len(images) == 3
    assert pg.panel.now_line.get_xdata()[0] == pytest.approx(pg.trace.end_time * 0.8)
    pg.scrubber.play.value = 5
    assert pg.runs == runs and pg.t_view == pytest.approx(pg.scrubber.end * 5 / pg.scrubber.frames)


@pytest.mark.parametrize("kwargs, words", [
    (dict(mode="CA"), "mode must be one of ('CP', 'AP')"),
    (dict(replicas=0), "replicas"),
    (dict(write_share=2.0), "write_share"),
    (dict(partition=[[0, 1], [1, 2, 3, 4]]), "must not overlap"),
    (dict(partition_at=2.0, heal_at=1.0), "heal_at must be after partition_at"),
])
def test_bad_values_raise(kwargs, words):
    with pytest.raises((ValueError, TypeError)) as info:
        CapPlayground(**kwargs)
    assert words in str(info.value)


def test_rerun_benchmark_returns_a_time():
    assert module.cap_rerun_ms(repeats=1) > 0


def test_doctests():
    assert doctest.testmod(module).failed == 0

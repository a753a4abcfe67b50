"""History view: bars where the operations are, colours per key, the violating window outlined,
linearization points inside their intervals and in witness order, time windows for long histories."""
from __future__ import annotations

import doctest
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest

from dsysedu.check.consistency import check_causal, example_histories, linearizable_kv_history, with_stale_read
from dsysedu.check.history import History, Operation
from dsysedu.check.linearizability import check_linearizable
from dsysedu.viz import history as history_module
from dsysedu.viz import style
from dsysedu.viz.history import history_view, linearization_points


def _same(c1, c2) -> bool:
    return np.allclose(mcolors.to_rgba(c1)[:3], mcolors.to_rgba(c2)[:3])


def _mixed_history():
    h = linearizable_kv_history(30, clients=4, keys=2, seed=5, pending=0.1)
    ops = list(h.ops)
    ops[4] = replace(ops[4], status="fail", result=None)
    return History(ops)


def test_one_bar_per_operation_on_its_client_lane_and_interval():
    h = _mixed_history()
    ax = history_view(h)
    assert set(ax.dsysedu_bars) == {o.id for o in h}
    lanes = [t.get_text() for t in ax.get_yticklabels()]
    assert lanes == [f"client {c}" for c in sorted(h.clients())]
    right = max(o.complete for o in h if o.complete is not None)
    for o in h:
        bar = ax.dsysedu_bars[o.id]
        assert np.isclose(bar.get_x(), o.invoke)
        assert np.isclose(bar.get_y() + bar.get_height() / 2, lanes.index(f"client {o.client}"))
        if o.pending:      # unknown outcome: open-ended to the right edge, dashed, unfilled
            assert bar.get_x() + bar.get_width() > right and not bar.get_fill() and bar.get_linestyle() != "-"
        elif o.status == "fail":
            assert _same(bar.get_facecolor(), style.FAILED_OPERATION)
        else:
            assert np.isclose(bar.get_x() + bar.get_width(), max(o.complete, o.invoke + 0.004 * (right - 0)),
                              atol=0.01 * right)
    assert any(o.pending for o in h) and any(o.status == "fail" for o in h)


def test_colours_come_from_the_style_palette_per_key():
    h = linearizable_kv_history(30, clients=3, keys=3, seed=2)
    ax = history_view(h)
    for o in h:
        key_colour = style.series_color(sorted(h.keys()).index(o.key))
        assert _same(ax.dsysedu_bars[o.id].get_edgecolor(), key_colour)
        alpha = ax.dsysedu_bars[o.id].get_facecolor()[3]
        assert (alpha < 0.5) == (o.kind == "read")        # reads pale, writes filled
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [f"key {k}" for k in sorted(h.keys())] == legend[:3]


def test_a_failing_verdict_outlines_its_window_in_red_and_captions_it():
    h, _ = example_histories()["stale read"]
    v = check_linearizable(h, "kv")
    ax = history_view(h, verdict=v)
    for i, bar in ax.dsysedu_bars.items():
        assert _same(bar.get_edgecolor(), style.FAULT) == (i in v.window)
    assert ax.dsysedu_bars[v.culprit].get_linewidth() > max(b.get_linewidth() for i, b in ax.dsysedu_bars.items()
                                                          if i != v.culprit) - 1e-9
    assert "not linearizable" in ax.get_title(loc="left")
    assert "violating window" in [t.get_text() for t in ax.get_legend().get_texts()]
    causal = example_histories()["effect before cause"][0]
    vc = check_causal(causal)
    ax = history_view(causal, verdict=vc)
    assert {i for i, b in ax.dsysedu_bars.items() if _same(b.get_edgecolor(), style.FAULT)} == set(vc.window)


def test_linearization_points_lie_inside_their_intervals_in_witness_order():
    for seed in range(5):
        h = linearizable_kv_history(40, clients=4, keys=2, seed=seed, pending=0.1)
        v = check_linearizable(h, "kv")
        ax = history_view(h, verdict=v)
        points = ax.dsysedu_points
        byid = {o.id: o for o in h}
        assert set(points) == set(v.linearization)
        for key in h.keys():
            order = [i for i in v.linearization if byid[i].key == key]
            times = [points[i] for i in order]
            assert times == sorted(times)
            for i in order:
                assert byid[i].invoke <= points[i] <= byid[i].end
    assert linearization_points(h, ()) == {}


def test_a_long_history_shows_a_window_around_the_violation():
    big = linearizable_kv_history(2000, clients=8, keys=5, seed=7)
    bad = with_stale_read(big, seed=7)
    v = check_linearizable(bad, "kv")
    ax = history_view(bad, verdict=v)
    assert set(v.window) <= set(ax.dsysedu_bars) and 20 <= len(ax.dsysedu_bars) <= 120
    assert "pass t=(t0, t1)" in ax.get_title(loc="left")
    lo, hi = 100.0, 104.0
    ax = history_view(big, t=(lo, hi))
    shown = {o.id for o in big if o.invoke <= hi and o.end >= lo}
    assert set(ax.dsysedu_bars) == shown
    x0, x1 = ax.get_xlim()
    assert x0 < lo < hi < x1 < hi + 0.2 * (hi - lo)


def test_highlight_rings_operations():
    h, _ = example_histories()["linearizable"]
    ax = history_view(h, highlight=[0, 3])
    rings = [path for c in ax.collections if len(c.get_facecolor()) and _same(c.get_facecolor()[0], style.HIGHLIGHT)
             for path in c.get_paths()]
    assert len(rings) == 2
    for i, ring in zip((0, 3), rings):      # each ring surrounds its operation's bar
        bar = ax.dsysedu_bars[i]
        (x0, y0), (x1, y1) = ring.vertices.min(axis=0), ring.vertices.max(axis=0)
        assert x0 < bar.get_x() < bar.get_x() + bar.get_width() < x1
        assert y0 < bar.get_y() < bar.get_y() + bar.get_height() < y1


def test_a_view_refilled_with_new_histories_shows_only_the_last_one():
    first = _mixed_history()
    second = linearizable_kv_history(12, clients=4, keys=1, seed=9)
    v = check_linearizable(second, "kv")
    from matplotlib.figure import Figure
    ax = Figure(figsize=(10, 4)).subplots()
    view = history_module.HistoryView(ax, sorted(first.clients()), (0, max(o.end for o in [*first, *second]
                                                                           if o.complete is not None)))
    view.update(first, highlight=[1, 2])
    view.update(second, verdict=v, highlight=[0])
    assert set(ax.dsysedu_bars) == {o.id for o in second}
    assert len(view.solid.get_paths()) == len(second) and len(view.rings.get_paths()) == 1
    assert len(view.strikes.get_segments()) == 0 and sum(len(c.get_paths()) for c in view.open.values()) == 0
    assert len(view.ticks.get_xdata()) == len(second) and "✓" in view.title.get_text()
    assert [t.get_text() for t in ax.texts] == [t.get_text() for t in view._extra]   # old labels gone
    assert "linearization point" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="no lane"):
        view.update(linearizable_kv_history(12, clients=6, keys=1, seed=9))


def test_bad_input():
    with pytest.raises(TypeError, match="History"):
        history_view("w(x)=1")
    with pytest.raises(ValueError, match="empty"):
        history_view(History([]))
    h, _ = example_histories()["linearizable"]
    with pytest.raises(ValueError, match="stop > start"):
        history_view(h, t=(3, 1))
    history_view(list(h.ops))     # a plain list of operations is fine


def test_docstring_examples_run_and_pyplot_is_not_imported_by_the_module():
    assert doctest.testmod(history_module).failed == 0
    code = "import sys, dsysedu.viz.history; assert 'matplotlib.pyplot' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, MPLBACKEND="Agg"),
                   cwd=Path(__file__).resolve().parents[2])


def test_pending_read_of_unknown_result_is_labelled_with_a_question_mark():
    h = History([Operation(0, "A", "write", "x", 1, invoke=0, complete=1),
                 Operation(1, "B", "read", "x", invoke=0.5)])
    ax = history_view(h)
    texts = [t.get_text() for t in ax.texts]
    assert "r(x)→?" in texts and "w(x)=1" in texts

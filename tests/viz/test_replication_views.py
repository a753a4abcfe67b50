"""Chapter 3.2 views: staleness curves, CRDT replicas over time (and their animation), SMR hash grids."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from dsysedu.protocols.replication import crdt_scenario
from dsysedu.protocols.replication.quorum import staleness_sweep
from dsysedu.protocols.replication.smr import BANK, order_experiment, random_commands
from dsysedu.sim import Crash
from dsysedu.viz import style
from dsysedu.viz.replication import _label as crdt_label
from dsysedu.viz.replication import CrdtView, crdt_animation, crdt_replicas, staleness_plot, state_hash_grid


@pytest.fixture(scope="module")
def sweep():
    return staleness_sweep(3, [(1, 1), (2, 1), (2, 2), (1, 3)], np.linspace(0, 0.05, 11), trials=2000, seed=1)


@pytest.fixture(scope="module")
def crdt_trace():
    return crdt_scenario("orset", 3, partition=[[0], [1, 2]], partition_at=0.5, heal_at=2.0,
                         faults=[Crash(2, at=2.2, until=2.6)], until=4.0).run(seed=4)


def test_staleness_plot_one_line_per_quorum_strict_solid(sweep):
    ax = staleness_plot(sweep)
    labels = [ln.get_label() for ln in ax.lines if not ln.get_label().startswith("_")]
    assert labels == ["R=1, W=1", "R=1, W=3 (R+W>N)", "R=2, W=1", "R=2, W=2 (R+W>N)"]
    styles = {ln.get_label(): ln.get_linestyle() for ln in ax.lines}
    assert styles["R=2, W=2 (R+W>N)"] == "-" and styles["R=1, W=1"] == "--"
    strict = [ln for ln in ax.lines if "R+W>N" in ln.get_label()]
    assert all(np.all(ln.get_ydata() == 1.0) for ln in strict)
    assert len({to_hex(ln.get_color()) for ln in ax.lines if ln.get_label()[0] != "_"}) == 4
    assert ax.get_xlabel().endswith("(ms)") and ax.get_xlim()[1] == pytest.approx(50)


def test_staleness_plot_second_set_on_the_same_axes(sweep):
    ax = staleness_plot(sweep[sweep.r == 1])
    staleness_plot(sweep[sweep.r == 2], ax=ax, suffix=" + repair", linestyle=":")
    assert any(ln.get_label().endswith("+ repair") and ln.get_linestyle() == ":" for ln in ax.lines)


def test_staleness_plot_refuses_other_tables():
    with pytest.raises(ValueError, match="staleness_sweep"):
        staleness_plot(pd.DataFrame({"time": [0.0]}))


def test_crdt_view_rows_values_and_faults(crdt_trace):
    view = CrdtView(crdt_trace)
    view.draw()
    ax = view.ax
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert len(ticks) == 3 and all(t.startswith(f"replica {i}:") for i, t in enumerate(ticks))
    final = view.values_at(4.0)
    assert final[0] == final[1] == final[2]                       # converged after the heal
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("partition {0} | {1,2}") for t in texts)
    colours = {to_hex(p.get_facecolor()) for p in ax.patches}
    colours |= {to_hex(c) for coll in ax.collections for c in coll.get_facecolors()}
    assert to_hex(style.FAULT) in colours and to_hex(style.CRASHED) in colours
    assert len(view.merges) > 0 and len([c for c in ax.texts if c.get_text() == ""]) == len(view.merges)


def test_crdt_view_draws_only_the_past(crdt_trace):
    view = CrdtView(crdt_trace)
    view.draw(1.0)
    # the future sits behind a white curtain from "now" to the end, above every band and arrow
    assert view.curtain.get_x() == pytest.approx(1.0) and view.curtain.get_x() + view.curtain.get_width() >= view.end
    assert view.curtain.zorder > max(a.zorder for a in view.ax.texts)
    assert view.cursor.get_visible() and view.cursor.get_xdata()[0] == pytest.approx(1.0)
    assert view.ax.get_title(loc="left") == "replicas at t = 1.00 s"
    labels = [t.get_text() for t in view.ax.get_yticklabels()]
    assert labels[0].endswith(crdt_label(view.values_at(1.0)[0]))
    changed = view.draw(3.0)
    assert view.curtain in changed and view.curtain.get_x() == pytest.approx(3.0)
    view.draw()
    assert not view.cursor.get_visible() and view.ax.get_title(loc="left") == "replica values over time"


def test_crdt_replicas_returns_axes_and_animation_is_small(crdt_trace):
    ax = crdt_replicas(crdt_trace, t=2.0, arrows=False)
    assert not [c for c in ax.texts if c.get_text() == ""] and ax.get_title(loc="left") == "replicas at t = 2.00 s"
    html = crdt_animation(crdt_trace, frames=4, fps=2)
    assert "<script" in html and "font-awesome" not in html and len(html) < 400_000
    with pytest.raises(ValueError, match="frames"):
        crdt_animation(crdt_trace, frames=0)


def test_state_hash_grid_marks_the_divergent_cells():
    table = {f"seed {s}": order_experiment(BANK, random_commands(BANK, 10, seed=s), seed=s).hash for s in range(4)}
    expected = sum(int(order_experiment(BANK, random_commands(BANK, 10, seed=s), seed=s).divergent.sum())
                   for s in range(4))
    ax = state_hash_grid(pd.DataFrame(table))
    assert ax.dsysedu_divergent == expected > 0
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == expected
    agreed = state_hash_grid({"one order": ["aa", "aa", "aa"]})
    assert agreed.dsysedu_divergent == 0 and "0 divergent of 3" in agreed.get_title(loc="left")
    with pytest.raises(ValueError, match="at least one"):
        state_hash_grid(pd.DataFrame())

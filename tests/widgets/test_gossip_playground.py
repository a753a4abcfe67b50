"""The gossip playground driven from Python, as a learner's clicks would drive it."""
from __future__ import annotations

import doctest

import networkx as nx
import pytest

from dsysedu.sim import Crash
from dsysedu.widgets import GossipPlayground
from dsysedu.widgets import gossip_playground as module

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def pg():
    return GossipPlayground(n=50, seed=7)


def test_builds_with_a_picture_and_all_metrics(pg):
    assert pg.image.value[:8] == PNG and pg.runs == 1
    m = pg.spec.rows(pg.measures)
    assert set(m) == {"informed share", "residue", "messages per node", "time to last informed (s)",
                      "Pittel log2 N + ln N"}
    assert m["informed share"] == 1.0 and m["residue"] == 0.0 and m["messages per node"] > 0
    assert 0 < m["time to last informed (s)"] <= pg.values()["rounds"]
    for name in m:
        assert name in pg.info.value
    assert "dsysedu-metrics" in pg.info._dom_classes and "dsysedu-view" in pg.image._dom_classes
    for name in ("topology", "n", "fanout", "mode", "loss", "crashed"):
        assert f"dsysedu-gossip-{name}" in pg.controls[name]._dom_classes


@pytest.mark.parametrize("control, value", [("mode", "push-pull"), ("fanout", 3), ("loss", 0.3),
                                            ("topology", "ring"), ("n", 80)])
def test_a_control_change_reruns_and_changes_the_image(pg, control, value):
    image, trace = pg.image.value, pg.trace
    pg.controls[control].value = value
    assert pg.runs == 2 and pg.trace is not trace and pg.image.value != image
    assert pg.image.value[:8] == PNG


def test_scrubbing_redraws_without_rerunning(pg):
    runs, trace = pg.runs, pg.trace
    images = set()
    for frac in (0.1, 0.3, 0.6):
        pg.scrubber.slider.value = pg.trace.end_time * frac
        images.add(pg.image.value)
    assert pg.runs == runs and pg.trace is trace and len(images) == 3
    t = pg.trace.end_time * 0.6
    assert pg.panel.view.now_line.get_xdata()[0] == pytest.approx(t)
    assert f"{pg.panel.view.informed_at(t)} of 50 informed" in pg.panel.view.now_text.get_text()
    pg.scrubber.play.value = 5  # a Play tick redraws too
    assert pg.runs == runs and pg.t_view == pytest.approx(pg.scrubber.end * 5 / pg.scrubber.frames)


def test_push_pull_is_faster_than_push():
    push = GossipPlayground(n=200, seed=3).measures.time_to_last
    pp = GossipPlayground(n=200, seed=3, mode="push-pull").measures.time_to_last
    assert pp < push


def test_crashed_share_puts_crash_faults_in_the_trace(pg):
    pg.controls["crashed"].value = 0.2
    crashes = [r for r in pg.trace.rows if r[1] == "crash"]
    assert len(crashes) == round(0.2 * 49) and all(r[0] == 0.0 for r in crashes)
    assert 0 not in {r[2] for r in crashes}  # never the origin
    assert all(isinstance(f, Crash) for f in pg.scenario().faults)
    assert pg.spec.rows(pg.measures)["residue"] >= 0.2 * 49 / 50 - 1e-9
    assert pg.scenario().faults == GossipPlayground(n=50, seed=7, crashed=0.2).scenario().faults


def test_n_2000_builds_and_runs():
    pg = GossipPlayground(n=2000, seed=7, topology="small world", mode="push-pull")
    assert len(pg.trace.nodes) == 2000 and pg.measures.informed == 2000
    assert pg.trace.end_time <= pg.values()["rounds"] and not pg.panel.topo.labels
    pg.scrubber.slider.value = pg.trace.end_time / 2
    assert pg.image.value[:8] == PNG


def test_complete_graph_is_capped(pg):
    pg.controls["n"].value = 1000
    pg.controls["topology"].value = "complete"
    assert len(pg.trace.nodes) == module.COMPLETE_MAX and "capped" in pg.status.value


def test_every_topology_is_seeded_and_connected():
    for name in module.TOPOLOGIES:
        a, b = module.make_graph(name, 60, 1), module.make_graph(name, 60, 1)
        assert sorted(a.edges) == sorted(b.edges) and a.number_of_nodes() == 60
        assert nx.is_connected(a)
    with pytest.raises(ValueError):
        module.make_graph("torus", 10)


def test_doctests():
    assert doctest.testmod(module).failed == 0

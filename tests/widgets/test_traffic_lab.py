"""The traffic lab playground and its panel, without a browser."""
import pytest

from dsysedu.sim import run
from dsysedu.systems.discovery import traffic_lab_scenario
from dsysedu.viz.panels import panel_for
from dsysedu.viz.traffic import TrafficPanel, traffic_view
from dsysedu.widgets import TRAFFIC_LAB, TrafficLab


def test_the_spec_builds_the_lab_and_its_panel():
    assert panel_for(TRAFFIC_LAB.views) is TrafficPanel
    values = TRAFFIC_LAB.values(policy="peak_ewma")
    sc = TRAFFIC_LAB.scenario(values)
    assert sc.until == 6.0 and len([n for n in sc.node_ids if n.startswith("b")]) == 5


def test_controls_rerun_and_the_table_follows():
    lab = TrafficLab()
    rr = dict(lab.spec.rows(lab.measures))
    assert rr["p99 (ms)"] == 500 and rr["timeouts"] > 50
    lab.controls["policy"].value = "peak_ewma"
    assert lab.runs == 2 and lab.spec.rows(lab.measures)["timeouts"] < rr["timeouts"]
    lab.controls["shedding"].value = True
    lab.controls["rate"].value = 400
    assert lab.measures["shed"] > 0 and lab.runs == 4
    before = lab.image.value
    lab.show_time(1.5)                       # scrubbing redraws, no re-run (the lab opens half-way, at 3 s)
    assert lab.runs == 4 and lab.image.value != before and lab.image.value[:4] == b"\x89PNG"


def test_a_bad_setting_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="retry must be one of"):
        traffic_lab_scenario(retry="forever")
    with pytest.raises(ValueError, match="policy must be one of"):
        traffic_lab_scenario(policy="fastest")


def test_the_panel_keeps_a_still_picture_per_set_of_limits():
    panel = TrafficPanel()
    a = run(traffic_lab_scenario(policy="round_robin"), seed=7)
    b = run(traffic_lab_scenario(policy="peak_ewma"), seed=7)
    panel.show(a, 0.0)
    first = panel.png(1.0)
    panel.show(b, 0.0)
    panel.png(1.0)
    panel.show(a, 0.0)                       # the same limits again: the kept still picture is used
    assert panel.png(1.0) == first
    assert len(panel._stills) == 2


def test_the_static_view_draws_three_axes():
    fig = traffic_view(run(traffic_lab_scenario(backends=3, until=2.0), seed=1))
    assert [ax.get_title() for ax in fig.axes] == ["queue length per backend (red: slow)", "requests per second",
                                                   "latency (after 1 s)"]

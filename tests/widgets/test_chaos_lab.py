"""The chaos lab playground, its experiment and its panel, without a browser."""
import pytest

from dsysedu.ops.chaos_experiments import fault_experiment
from dsysedu.ops.chaos_journal import check_experiment
from dsysedu.viz.chaos import ChaosPanel, experiment_view, lanes_of
from dsysedu.viz.panels import panel_for
from dsysedu.widgets import CHAOS_LAB, ChaosLabPlayground, chaos_lab_scenario, run_chaos_lab


def test_the_spec_builds_the_system_with_the_fault_on_one_service():
    assert panel_for(CHAOS_LAB.views) is ChaosPanel
    sc = CHAOS_LAB.scenario(CHAOS_LAB.values(service="store", fault="cut", fault_at=8.0, fault_for=3.0))
    assert {(f.src, f.dst, f.at, f.until) for f in sc.faults} == {("inventory", "store", 8.0, 11.0),
                                                                   ("orders", "store", 8.0, 11.0)}


def test_the_experiment_is_valid_chaos_toolkit_json_with_its_blast_radius():
    ex = fault_experiment("inventory", "slow", 10.0, 4.0, delay=0.004)
    check_experiment(ex)
    assert ex["extensions"][0]["services"] == ["inventory"]
    # the hypothesis watches the fault and the 2 s after it
    assert [p["provider"]["arguments"]["window"] for p in ex["steady-state-hypothesis"]["probes"]] == [6.0, 6.0]
    with pytest.raises(ValueError, match="at must be >= 6"):
        fault_experiment("inventory", "slow", 5.0, 4.0)


def test_the_run_is_chaos_toolkits_and_the_trace_carries_its_journal():
    trace = run_chaos_lab(chaos_lab_scenario("orders", "crash", 10.0, 2.0), seed=7)
    chaos = trace.meta["chaos"]
    assert chaos["raw"]["status"] == "completed" and chaos["raw"]["deviated"] is True
    assert chaos["journal"].faults == [{"service": "orders", "fault": "crash", "at": 10.0, "until": 12.0,
                                        "delay": 0.0}]
    assert trace.end_time == 18.0        # 10 s of warm-up, 2 s of fault, 2 s to settle, 4 s to recover
    assert chaos["alerts"] and 10.0 < chaos["alerts"][0][0] < 12.5   # the users' errors, or their p99, fired


def test_controls_rerun_and_the_verdict_follows():
    lab = ChaosLabPlayground()
    assert lab.measures["hypothesis"] == "REFUTED" and "refuted" in lab.badge.value
    assert lab.measures["probe out of tolerance"] == "users' error ratio"
    lab.controls["service"].value = "inventory"
    lab.controls["fault"].value = "slow"
    lab.controls["delay"].value = 0.004
    assert lab.runs == 4 and lab.measures["hypothesis"] == "held" and "held" in lab.badge.value
    assert lab.measures["alert fired after (s)"] == "no alert"
    before = lab.image.value
    lab.show_time(3.0)                                 # scrubbing redraws, no re-run
    assert lab.runs == 4 and lab.image.value != before and lab.image.value[:4] == b"\x89PNG"


def test_bad_builder_values_are_refused_with_what_is_allowed():
    with pytest.raises(ValueError, match="at must be >= 4"):
        chaos_lab_scenario(fault_at=2.0)
    with pytest.raises(ValueError, match="service must be one of"):
        chaos_lab_scenario(service="client")
    with pytest.raises(ValueError, match="fault_at \\+ fault_for must be at most 39 s"):
        chaos_lab_scenario(fault_at=35.0, fault_for=5.0)


def test_the_view_draws_the_lanes_and_refuses_a_trace_without_a_journal():
    trace = run_chaos_lab(chaos_lab_scenario("inventory", "pause", 6.0, 1.0), seed=3)  # 3 s windows
    lanes = lanes_of(trace.meta["chaos"]["journal"], trace.meta["chaos"]["alerts"])
    assert [text for *_, text, _c in lanes["hypothesis"]] == ["before: held", "after: refuted"]
    assert lanes["fault"][0][:3] == (6.0, 7.0, "pause inventory")
    fig = experiment_view(trace, trace.meta["chaos"]["journal"])
    assert len(fig.axes) == 4
    del trace.meta["chaos"]
    with pytest.raises(ValueError, match="trace.meta\\['chaos'\\]"):
        ChaosPanel().show(trace, 0.0)


@pytest.mark.parametrize("name", ["dsysedu.viz.chaos", "dsysedu.widgets.chaos_lab"])
def test_doctests(name):
    import doctest
    import importlib
    assert doctest.testmod(importlib.import_module(name)).failed == 0


def test_the_machine_button_runs_the_replicated_service_and_its_healing_loop():
    from dsysedu.ops.chaos_experiments import healing_actions
    lab = ChaosLabPlayground(service="w0", fault="crash", fault_at=12.0, fault_for=8.0)
    trace = lab.trace
    assert healing_actions(trace) == [(15.0, "w0 unhealthy, move r0 to w3")]
    assert lab.measures["healing loop's decisions"] == 2 and lab.measures["users' errors in the fault (%)"] < 10
    lanes = lanes_of(trace.meta["chaos"]["journal"], trace.meta["chaos"]["alerts"], trace.meta["chaos"]["healing"])
    assert lanes["healing"] == [(15.0, 15.0, "w0 unhealthy, move r0 to w3", lanes["healing"][0][3])]
    lab.controls["loop"].value = False
    assert lab.measures["healing loop's decisions"] == "no loop" and lab.measures["users' errors in the fault (%)"] > 25

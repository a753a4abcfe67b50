"""The saga playground driven from Python, as a learner's clicks would drive it."""
from __future__ import annotations

import pytest

from dsysedu.sim import run
from dsysedu.widgets import SAGA, Playground
from dsysedu.widgets.saga_playground import saga_measures, saga_playground_scenario, saga_verdict

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def pg():
    return Playground(SAGA)


def test_default_compensates_two_steps_and_every_property_holds(pg):
    assert pg.image.value[:8] == PNG
    rows = pg.spec.rows(pg.measures)
    assert rows["outcome"] == "compensated" and rows["compensations"] == 2
    assert [rows[k] for k in ("compensations in reverse order", "each effect at most once",
                              "all-done or all-compensated")] == ["holds"] * 3
    assert "dsysedu-saga-style" in pg.controls["style"]._dom_classes


def test_failing_step_slider_reruns(pg):
    runs = pg.runs
    pg.controls["fail_step"].value = 0
    assert pg.runs == runs + 1 and pg.spec.rows(pg.measures)["outcome"] == "done"
    pg.controls["fail_step"].value = 1
    assert pg.spec.rows(pg.measures)["compensations"] == 0


def test_crashing_the_coordinator_delays_the_saga_but_it_ends(pg):
    pg.controls["crash"].buttons["orch"].value = True
    rows = pg.spec.rows(pg.measures)
    assert rows["outcome"] == "compensated" and rows["all-done or all-compensated"] == "holds"
    assert pg.scenario().faults


def test_2pc_blocks_when_its_coordinator_crashes(pg):
    pg.controls["style"].value = "2PC"
    assert pg.spec.rows(pg.measures)["outcome"] == "aborted"      # participant p3 aborted on its own
    pg.controls["fail_step"].value = 0
    assert pg.spec.rows(pg.measures)["outcome"] == "committed"
    pg.controls["crash"].buttons["c"].value = True
    rows = pg.spec.rows(pg.measures)
    assert rows["outcome"] == "blocked" and rows["blocked (prepared)"] == 3
    assert rows["every participant decided"] == "VIOLATED" and rows["atomicity"] == "holds"


@pytest.mark.parametrize("style", ["orchestration", "choreography", "2PC"])
@pytest.mark.parametrize("fail_step", [0, 1, 2, 3])
def test_every_setting_runs_and_the_verdict_holds_without_faults(style, fail_step):
    trace = run(saga_playground_scenario(style, fail_step), seed=7)
    assert saga_verdict(trace).ok
    assert saga_measures(trace)["outcome"] in ("done", "compensated", "committed", "aborted")


def test_bad_values():
    with pytest.raises(ValueError, match="style must be one of"):
        saga_playground_scenario("ballet")
    with pytest.raises(ValueError, match="fail_step"):
        saga_playground_scenario(fail_step=4)

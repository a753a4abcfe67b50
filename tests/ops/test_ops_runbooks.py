"""Runbooks: the diagnosis names the injected cause; detect, diagnose_incident, act, verify are logged in order."""
import pytest

from dsysedu.ops.incidents import Incident, incident_scenario
from dsysedu.ops.runbooks import LOG_STEPS, REMEDY_FOR, Runbook, diagnose_incident, run_runbook
from dsysedu.ops.telemetry import spans
from dsysedu.sim import run


@pytest.mark.parametrize("incident, symptom", [
    (Incident("crash", "inventory", 40.0, 60.0), "down"),
    (Incident("partition", "orders", 40.0, 60.0), "unreachable"),
    (Incident("error_rate", "store", 40.0, 60.0, severity=0.5), "errors"),
    (Incident("slow", "store", 40.0, 60.0, severity=0.01), "slow"),
    (Incident("slow_link", ("gateway", "inventory"), 40.0, 60.0, severity=0.05), "slow link"),
])
def test_diagnosis_names_the_injected_cause_and_place(incident, symptom):
    trace = run(incident_scenario([incident], duration=70.0, loss=0.0005), seed=3)
    items = spans(trace)
    found = diagnose_incident(trace, 45.0, lookback=5.0, items=items)
    assert found is not None and (found.symptom, found.target) == (symptom, incident.target), found
    assert found.evidence
    assert diagnose_incident(trace, 30.0, lookback=5.0, items=items) is None      # before it began: nothing to find


def test_diagnosis_reads_only_the_past():
    incident = Incident("crash", "orders", 40.0, 60.0)
    trace = run(incident_scenario([incident], duration=70.0), seed=1)
    assert diagnose_incident(trace, 39.9, lookback=5.0) is None


def test_the_runbook_acts_on_each_page_and_logs_every_step():
    incidents = [Incident("crash", "inventory", 60.0, 120.0), Incident("error_rate", "orders", 160.0, 220.0,
                                                                       severity=0.8)]
    result = run_runbook(Runbook(), incidents, seed=7, duration=240.0, loss=0.0005)
    assert [(r.action, r.target) for r in result.remedies] == [("restart", "inventory"), ("rollback", "orders")]
    steps = result.log.step.tolist()
    assert steps == ["detect", "diagnose", "act", "verify"] * 2
    assert set(steps) == set(LOG_STEPS) and result.log.time.is_monotonic_increasing
    assert (result.log.did.str.len() > 0).all() and (result.log.saw.str.len() > 0).all()
    assert result.log[result.log.step == "verify"].did.tolist() == ["closed the incident"] * 2
    # each incident ended a few seconds after it began, not after a minute
    assert (result.impact.ended - result.impact.start <= 12.0).all()
    assert (result.impact.shortened_by >= 45.0).all()
    assert result.runs == 3


def test_a_runbook_without_a_remedy_for_the_symptom_pages_a_human():
    incidents = [Incident("crash", "inventory", 60.0, 90.0)]
    book = Runbook(remedy_for={s: a for s, a in REMEDY_FOR.items() if s != "down"})
    result = run_runbook(book, incidents, seed=7, duration=100.0)
    assert result.remedies == ()
    assert result.log.did.tolist() == ["opened an incident", "paged a human"]


@pytest.mark.parametrize("make, says", [
    (lambda: Runbook(lookback=0), "lookback"),
    (lambda: Runbook(verify_window=20.0), "verify_window"),
    (lambda: Runbook(remedy_for={"gremlins": "restart"}), "unknown symptoms"),
    (lambda: run_runbook("restart everything", [], seed=1), "Runbook"),
])
def test_bad_runbooks_are_refused(make, says):
    with pytest.raises((ValueError, TypeError), match=says):
        make()

"""Experiments made from a choice of fault: swept, measured service by service, alerted on."""
import pytest

from dsysedu.ops.chaos import window_measures
from dsysedu.ops.chaos_experiments import (SETTLE, blast_radius_table, fault_experiment, lab_alerts, outage_table,
                                           run_fault)
from dsysedu.ops.chaos_journal import read_journal
from dsysedu.ops.telemetry import spans


def test_a_crash_confined_to_orders_reaches_users_but_no_other_service():
    lab, journal = run_fault("orders", "crash", at=8.0, duration=2.0, seed=7)
    table = blast_radius_table(lab, 8.0, 8.0 + 2.0 + SETTLE)
    assert table.loc["users", "error ratio"] > 0.2 and table.loc["gateway", "errors"] > 0
    assert (table.loc[["inventory", "orders", "store"], "errors"] == 0).all()   # the crashed one served nothing wrong
    assert read_journal(journal).blast_radius == ("orders",)


def test_the_outage_table_separates_hidden_errors_from_visible_ones():
    table = outage_table([0.2, 2.0], seeds=[7, 8], at=6.0)
    short, long = table[table["duration"] == 0.2], table[table["duration"] == 2.0]
    assert (short["users' error ratio"] == 0).all()         # retries hide a 0.2 s crash from errors ...
    assert (short["users' p99 (ms)"] > 250).all()           # ... not from latency: each caught request waits a timeout
    assert (long["users' error ratio"] > 0.2).all() and not table["held"].any()


def test_window_measures_agree_with_the_probes():
    lab, _ = run_fault("store", "pause", at=6.0, duration=1.0, seed=3)
    m = window_measures(lab.spans(), "client", 6.0, 9.0)
    by_hand = [s for s in spans(lab.trace) if s.parent_id is None and 6.0 < s.end <= 9.0]
    assert m["requests"] == len(by_hand) and m["errors"] == sum(s.status == "ERROR" for s in by_hand)


def test_the_alerts_fire_in_the_fault_and_resolve_after():
    lab, _ = run_fault("orders", "crash", at=8.0, duration=2.0, seed=7)
    fired = {rule: (start, end) for start, end, rule in lab_alerts(lab.trace)}
    assert set(fired) == {"errors > 5 %", "p99 (EWMA)"}          # alerting's static threshold and EWMA baseline
    start, end = fired["errors > 5 %"]
    assert 8.0 < start < 10.5 and 10.0 < end < 12.5
    assert fired["p99 (EWMA)"][0] <= start                        # the latency anomaly comes first
    calm = run_fault("inventory", "slow", at=8.0, duration=2.0, delay=0.002, seed=7)[0]
    assert lab_alerts(calm.trace) == []


@pytest.mark.parametrize("kwargs, says", [
    (dict(service="client", fault="crash"), "service must be one of"),
    (dict(service="orders", fault="melt"), "fault must be one of"),
    (dict(service="orders", fault="crash", at=3.0, duration=2.0), "at must be >= 4"),
    (dict(service="orders", fault="crash", duration=0), "duration must be > 0"),
])
def test_bad_choices_are_refused(kwargs, says):
    with pytest.raises(ValueError, match=says):
        fault_experiment(**kwargs)


@pytest.mark.parametrize("name", ["dsysedu.ops.chaos", "dsysedu.ops.chaos_journal", "dsysedu.ops.chaos_experiments"])
def test_doctests(name):
    import doctest
    import importlib
    assert doctest.testmod(importlib.import_module(name)).failed == 0


# -- the replicated service of 9.3, with and without its reconciliation loop ------------------------------
def test_the_healing_loop_shortens_what_users_see_of_a_machine_crash():
    seen = {}
    for loop in (True, False):
        lab, journal = run_fault("w0", "crash", at=12.0, duration=8.0, seed=7, loop=loop)
        j = read_journal(journal)
        assert [(r.name, r.value) for r in j.before] == [("users' error ratio", 0.0), ("replicas serving", 3.0)]
        assert j.deviated and j.faults == [{"service": "w0", "fault": "crash", "at": 12.0, "until": 20.0,
                                            "delay": 0.0}]
        seen[loop] = j.after[0].value
        rescheduled = [r for r in lab.trace.rows if r[1] == "observe" and r[5] == "reschedule"]
        assert bool(rescheduled) == loop                  # only the loop moves r0 off the dead machine
    assert seen[True] < 0.1 < 0.25 < seen[False]          # a third of the requests fail without the loop


def test_a_replicas_lab_has_its_own_targets_and_probes():
    from dsysedu.ops.chaos import ChaosLab, latency_p99, replicas_serving
    lab = ChaosLab(seed=1, warmup=6.0, system="replicas")
    c = {"lab": lab}
    assert replicas_serving(configuration=c)["value"] == 3.0
    with pytest.raises(ValueError, match="records no latencies"):
        latency_p99(configuration=c)
    with pytest.raises(ValueError, match="service must be one of \\('w0'"):
        lab.inject("inventory", "crash")
    with pytest.raises(ValueError, match="reads a lab of system 'replicas'"):
        replicas_serving(configuration={"lab": ChaosLab(seed=1, warmup=1.0)})
    with pytest.raises(ValueError, match="system must be one of"):
        ChaosLab(system="mainframe")

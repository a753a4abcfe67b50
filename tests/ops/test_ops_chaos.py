"""Chaos experiments: the lab's probes and actions, and whole experiments run by Chaos Toolkit."""
import copy
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsysedu.ops.chaos import (FAULTS, TARGETS, ChaosLab, end_faults, error_ratio, inject_fault, latency_p99,
                               let_time_pass, request_rate)
from dsysedu.ops.chaos_journal import (check_experiment, experiment_path, load_experiment, read_journal,
                                       run_experiment)
from dsysedu.ops.telemetry import spans

HOLDS, REFUTED = "inventory_slow_holds", "orders_crash_refuted"


def fingerprint(trace) -> str:
    return hashlib.sha256(repr(trace.rows).encode()).hexdigest()


def experiment(name=HOLDS) -> dict:
    return json.loads(experiment_path(name).read_text())


# -- the lab ------------------------------------------------------------------------------------------
def test_same_seed_and_actions_give_the_same_readings_and_trace():
    def once(seed):
        lab = ChaosLab(seed=seed, warmup=4.0)
        c = {"lab": lab}
        inject_fault("store", "pause", duration=1.0, configuration=c)
        let_time_pass(3.0, configuration=c)
        return fingerprint(lab.trace), error_ratio(window=3.0, configuration=c), latency_p99(configuration=c)
    assert once(3) == once(3)
    assert once(3)[0] != once(4)[0]


def test_probes_only_read_and_look_back_over_their_window():
    lab = ChaosLab(seed=1, warmup=6.0)
    c = {"lab": lab}
    rows = len(lab.trace.rows)
    first = request_rate(window=4.0, configuration=c)
    assert request_rate(window=4.0, configuration=c) == first and len(lab.trace.rows) == rows and lab.now == 6.0
    assert (first["from"], first["to"]) == (2.0, 6.0)
    assert 10 < first["value"] < 30          # the client sends 20 requests per second
    assert first["requests"] == pytest.approx(first["value"] * 4.0)
    assert error_ratio(configuration=c)["value"] == 0.0      # a healthy system


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_stays_in_its_service_and_ends_when_rolled_back(fault):
    lab = ChaosLab(seed=2, warmup=3.0)
    c = {"lab": lab}
    start = len(lab.trace.rows)
    out = inject_fault("inventory", fault, delay=0.05, configuration=c)
    assert out == {"service": "inventory", "fault": fault, "at": 3.0, "until": None,
                   "delay": 0.05 if fault == "slow" else 0.0}
    let_time_pass(2.0, configuration=c)
    # the blast radius: fault rows name inventory (and, for a cut, only the links into it)
    faulty = [r for r in lab.trace.rows[start:] if r[1] in ("crash", "slow", "pause", "cut")]
    assert faulty and all((r[3] if r[1] == "cut" else r[2]) == "inventory" for r in faulty)
    assert error_ratio(window=2.0, service="orders", configuration=c)["value"] == 0.0  # orders never failed
    assert error_ratio(window=2.0, configuration=c)["value"] > 0.5 or fault == "slow"
    ended = end_faults(configuration=c)
    assert [e["fault"] for e in ended["ended"]] == [fault] and ended["ended"][0]["until"] == 5.0
    assert lab.in_force() == []
    let_time_pass(4.0, configuration=c)
    served = [s for s in spans(lab.trace) if s.service == "inventory" and s.kind == "server" and s.start > 6.0]
    assert served and all(s.status == "OK" for s in served)
    assert error_ratio(window=2.0, configuration=c)["value"] == 0.0   # recovered


def test_a_fault_with_a_duration_ends_by_itself():
    lab = ChaosLab(seed=2, warmup=3.0)
    c = {"lab": lab}
    inject_fault("orders", "crash", duration=1.0, configuration=c)
    assert len(lab.in_force()) == 1
    let_time_pass(1.5, configuration=c)
    assert lab.in_force() == [] and end_faults(configuration=c)["ended"] == []
    assert [r[1] for r in lab.trace.rows if r[1] in ("crash", "recover")] == ["crash", "recover"]


@pytest.mark.parametrize("call, error, says", [
    (lambda c: inject_fault("client", "crash", configuration=c), ValueError, "the client is the load"),
    (lambda c: inject_fault("orders", "melt", configuration=c), ValueError, "fault must be one of"),
    (lambda c: inject_fault("orders", "slow", delay=0, configuration=c), ValueError, "delay must be > 0"),
    (lambda c: (inject_fault("orders", "crash", configuration=c), inject_fault("store", "slow", configuration=c)),
     ValueError, "one fault at a time"),
    (lambda c: let_time_pass(100.0, configuration=c), ValueError, "the lab runs to 60 s at most"),
    (lambda c: error_ratio(window=0, configuration=c), ValueError, "window must be > 0"),
    (lambda c: latency_p99(service="billing", configuration=c), ValueError, "service must be 'client'"),
    (lambda c: error_ratio(configuration={}), ValueError, "needs the run's configuration to hold a ChaosLab"),
])
def test_bad_activities_are_refused(call, error, says):
    with pytest.raises(error, match=says):
        call({"lab": ChaosLab(seed=1, warmup=1.0)})


# -- whole experiments, run by Chaos Toolkit ------------------------------------------------------------
def test_the_hypothesis_holds_under_a_slow_inventory():
    journal = run_experiment(load_experiment(experiment_path(HOLDS)))
    j = read_journal(journal)
    assert (j.status, j.deviated) == ("completed", False)
    assert j.verdict().ok
    assert [r.met for r in j.before + j.after] == [True] * 4
    assert [(r.start, r.end) for r in j.after] == [(10.0, 15.0)] * 2   # the 5 s under the fault
    assert j.faults == [{"service": "inventory", "fault": "slow", "at": 10.0, "until": 15.0, "delay": 0.005}]
    assert j.blast_radius == ("inventory",)


def test_the_crash_refutes_the_hypothesis_and_the_journal_says_which_probe():
    lab = ChaosLab(seed=7, rate=20.0, warmup=10.0)
    journal = run_experiment(experiment(REFUTED), lab)
    j = read_journal(journal)
    assert (j.status, j.deviated) == ("completed", True)
    assert all(r.met for r in j.before)
    bad = [r for r in j.after if not r.met]
    assert [r.name for r in bad] == ["users' error ratio"] and bad[0].value > 0.1
    v = j.verdict()
    assert not v.ok and "users' error ratio" in v.message and "outside [0, 0.01]" in v.message
    # the rollbacks ran after the deviation, and the lab was left without a fault
    assert [(r.func, r.status) for r in j.rollbacks] == [("end_faults", "succeeded"), ("let_time_pass", "succeeded")]
    assert lab.in_force() == [] and lab.now == 20.0
    assert any("not in the given tolerance" in line for line in lab.log)


def test_the_journal_is_chaos_toolkits_and_reads_back_from_a_file(tmp_path):
    journal = run_experiment(experiment(REFUTED))
    for key in ("chaoslib-version", "start", "end", "duration", "status", "deviated", "steady_states", "run",
                "rollbacks"):
        assert key in journal
    assert journal["duration"] > 0 and journal["start"] < journal["end"]
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(journal))                  # what `chaos run --journal-path` writes
    again = read_journal(path)
    assert again == read_journal(journal)
    assert [r.func for r in again.run] == ["inject_fault", "let_time_pass"]
    with pytest.raises(ValueError, match="lacks \\['status'"):
        read_journal({k: v for k, v in journal.items() if k != "status"})


def test_readings_are_deterministic_across_runs():
    def readings():
        j = read_journal(run_experiment(experiment(REFUTED)))
        return [(r.name, r.value, r.start, r.end) for r in j.before + j.after]
    assert readings() == readings()


@settings(max_examples=8, deadline=None)
@given(service=st.sampled_from(TARGETS), fault=st.sampled_from(sorted(FAULTS)),
       duration=st.one_of(st.none(), st.sampled_from([0.5, 2.0, 6.0])), seed=st.integers(0, 2**16))
def test_any_experiment_completes_and_leaves_no_fault_behind(service, fault, duration, seed):
    ex = experiment(HOLDS)
    ex["extensions"][0]["services"] = [service]
    ex["configuration"]["lab"] = {"seed": seed, "warmup": 6.0, "horizon": 30.0}
    ex["method"][0]["provider"]["arguments"] = {"service": service, "fault": fault, "duration": duration}
    lab = ChaosLab(**ex["configuration"]["lab"])
    j = read_journal(run_experiment(ex, lab))
    assert j.status == "completed" and len(j.after) >= 1
    assert lab.in_force() == [] and [r.status for r in j.rollbacks] == ["succeeded"] * 2
    touched = {r[2] for r in lab.trace.rows if r[1] in ("crash", "slow", "pause")} | \
              {r[3] for r in lab.trace.rows if r[1] == "cut"}
    assert touched == {service}


# -- bad experiment files -------------------------------------------------------------------------------
def _without(key):
    ex = experiment()
    del ex[key]
    return ex


def _edit(fn):
    ex = experiment()
    fn(ex)
    return ex


@pytest.mark.parametrize("bad, says", [
    (_without("method"), "lacks \\['method'\\]"),
    (_without("rollbacks"), "lacks \\['rollbacks'\\]"),
    (_edit(lambda e: e["steady-state-hypothesis"]["probes"][0].pop("tolerance")), "has no tolerance"),
    (_edit(lambda e: e["steady-state-hypothesis"].update(probes=[])), "non-empty list of probes"),
    (_edit(lambda e: e["method"][0]["provider"].update(module="os")), "must call dsysedu.ops.chaos"),
    (_edit(lambda e: e["method"][0]["provider"].update(type="process")), "provider of type 'python'"),
    (_edit(lambda e: e.pop("extensions")), "must declare its blast radius"),
    (_edit(lambda e: e["method"][0]["provider"]["arguments"].update(service="orders")),
     "outside the declared blast radius"),
    (_edit(lambda e: e.update(rollbacks=[])), "add a rollback calling end_faults"),
    (_edit(lambda e: e["configuration"].update(lab={"seed": 7, "colour": "red"})), "configuration.lab"),
    (_edit(lambda e: e.update(title="")), "Chaos Toolkit refuses the experiment: experiment requires a title"),
    ([1, 2], "an experiment is a JSON object"),
])
def test_bad_experiments_get_a_clear_value_error(bad, says):
    with pytest.raises(ValueError, match=says):
        check_experiment(copy.deepcopy(bad))


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"title": "half an experiment",')
    with pytest.raises(ValueError, match="not valid JSON"):
        load_experiment(path)
    with pytest.raises(ValueError, match="no experiment 'nope'"):
        experiment_path("nope")


def test_the_chaos_command_line_runs_the_file_and_reads_the_same(tmp_path):
    """`chaos run` (the CLI, in its own process) builds the lab from the file's settings: same readings."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    chaos_cli = Path(sys.executable).with_name("chaos")
    env = dict(os.environ, PYTHONPATH=str(repo))
    done = subprocess.run([str(chaos_cli), "--no-version-check", "--no-log-file", "run",
                           str(experiment_path(REFUTED)), "--journal-path", str(tmp_path / "journal.json")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "Experiment ended with status: deviated" in done.stdout + done.stderr, done.stdout + done.stderr
    cli = read_journal(tmp_path / "journal.json")
    here = read_journal(run_experiment(experiment(REFUTED)))
    assert [(r.name, r.value, r.start, r.end) for r in cli.before + cli.after] == \
           [(r.name, r.value, r.start, r.end) for r in here.before + here.after]
    assert cli.verdict() == here.verdict() and cli.faults == here.faults


def test_a_run_without_a_lab_is_refused():
    with pytest.raises(ValueError, match="needs the run's configuration to hold a ChaosLab"):
        error_ratio(configuration={"lab": "the production cluster"})

"""Chapter 3.4 exercises: the references pass and agree with the simulator's detectors, typical wrong
answers fail with feedback that names the case, and the student version fails until written."""
import math
import statistics
from pathlib import Path

import numpy as np

from dsysedu import Crash, LinkModel, LogNormal, Scenario, run
from dsysedu.exercises import check
from dsysedu.exercises.notebooks import try_student_version
from instructor.references.ch34 import phi_reference, suspects_reference
from dsysedu.protocols.membership.failure_detectors import HeartbeatDetector

REPO = Path(__file__).resolve().parents[2]
EXERCISE_NB = REPO / "notebooks" / "exercises" / "03_4_failure_detection.ipynb"


def test_reference_solutions_pass():
    assert check("ch34-phi", phi_reference).passed
    assert check("ch34-suspects", suspects_reference).passed


def test_suspects_reference_agrees_with_the_heartbeat_detector():
    sc = Scenario(HeartbeatDetector, nodes=4, params={"interval": 0.1, "timeout": 0.2},
                  link=LinkModel(latency=LogNormal(0.02, 1.0)), faults=[Crash(3, at=1.0)], until=3.0)
    trace = run(sc, seed=7)
    heard = trace.messages()
    heard = heard[(heard["dst"] == 0) & (heard["status"] == "delivered")]
    for now in np.arange(0.05, 3.0, 0.1013):
        arrivals = {p: list(heard[(heard["src"] == p) & (heard["deliver_time"] <= now)]["deliver_time"])
                    for p in (1, 2, 3)}
        assert suspects_reference(arrivals, now, 0.2) == set(trace.value_at("suspects", now)[0]), now


def test_phi_with_the_sample_standard_deviation_fails_kindly():
    def sample_std(elapsed, intervals):
        m = statistics.mean(intervals)
        s = max(statistics.stdev(intervals) if len(intervals) > 1 else 0.0, 0.01)
        return -math.log10(0.5 * math.erfc((elapsed - m) / (s * math.sqrt(2))))
    fb = check("ch34-phi", sample_std)
    assert not fb.passed and "jittery window" in fb.text() and "expected: 3.18" in fb.text()


def test_phi_without_the_infinity_case_reports_the_exception():
    def no_guard(elapsed, intervals):
        m = statistics.mean(intervals)
        s = max(statistics.pstdev(intervals), 0.01)
        return max(0.0, -math.log10(0.5 * math.erfc((elapsed - m) / (s * math.sqrt(2)))))
    fb = check("ch34-phi", no_guard)
    assert not fb.passed and len(fb.failures) == 1
    assert "underflows" in fb.text() and "ValueError" in fb.text()


def test_phi_as_a_probability_is_not_phi():
    fb = check("ch34-phi", lambda e, xs: 0.5 * math.erfc((e - statistics.mean(xs)) / (0.01 * math.sqrt(2))))
    assert not fb.passed and "expected: 0.30" in fb.text()


def test_suspects_with_a_strict_comparison_or_no_heartbeats_fails():
    fb = check("ch34-suspects", lambda a, n, t: {p for p, ts in a.items() if ts and n - ts[-1] > t})
    assert not fb.passed and len(fb.failures) == 2
    assert "exactly the timeout" in fb.text() and "expected: {'b'}" in fb.text() and "you returned: set()" in fb.text()
    assert "no heartbeat at all" in fb.failures[1][0]


def test_suspects_must_be_a_set():
    fb = check("ch34-suspects", lambda a, n, t: sorted(suspects_reference(a, n, t), key=repr))
    assert not fb.passed and "you returned: [" in fb.text()
    assert check("ch34-suspects", lambda a, n, t: frozenset(suspects_reference(a, n, t))).passed


def test_student_notebook_fails_until_written(tmp_path):
    code, feedback = try_student_version(EXERCISE_NB, tmp_path)
    assert "BEGIN SOLUTION" not in code and "math.erfc" not in code and ">= timeout" not in code
    assert code.count("raise NotImplementedError()") == 2
    assert len(feedback) == 2 and all("not written yet" in f and "Hint" in f for f in feedback)

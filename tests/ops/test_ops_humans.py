"""The human task node: answers, timeouts, escalation, the safe default; the simulated human; the measures."""
import math

import pytest

from dsysedu.ops.humans import (APPROVE, REJECT, ApprovalQueue, HumanTask, SimulatedHuman, outcomes_frame, route,
                                run_workflow, task_stream, workflow_summary)


def task(i, risky=False, at=0.0):
    return HumanTask(i, "deploy", f"deploy {i}", risky, at)


def test_first_answer_wins_and_late_answers_are_ignored():
    q = ApprovalQueue(timeout=100.0)
    q.submit(task(0), 0.0)
    assert q.answer(0, APPROVE, 30.0, "on-call") and not q.answer(0, REJECT, 40.0, "lead")
    assert [(o.verdict, o.by, o.latency, o.escalated) for o in q.outcomes] == [(APPROVE, "on-call", 30.0, False)]
    with pytest.raises(ValueError, match="submitted already"):
        q.submit(task(0), 50.0)
    with pytest.raises(ValueError, match="verdict"):
        q.answer(0, "maybe", 1.0, "x")


def test_timeout_escalates_then_applies_the_safe_default():
    q = ApprovalQueue(timeout=100.0, levels=("on-call", "lead"))
    q.submit(task(0, risky=True), 0.0)
    assert q.expire(99.0) == [] and q.asked(0) == "on-call"
    assert q.expire(100.0) == [(0, "escalated to lead")] and q.asked(0) == "lead"
    assert q.expire(200.0) == [(0, "timed out: reject")]
    (o,) = q.outcomes
    assert (o.verdict, o.by, o.decided, o.escalated) == (REJECT, "timeout", 200.0, True)


def test_simulated_human_error_rate_and_absence():
    import numpy as np
    rng = np.random.default_rng(0)
    careful = SimulatedHuman(error_rate=0.0, absent=0.0)
    assert all(careful.respond(rng, task(0, risky=True))[1] == REJECT for _ in range(50))
    sloppy = SimulatedHuman(error_rate=0.3, absent=0.2)
    answers = [sloppy.respond(rng, task(0)) for _ in range(4000)]
    assert abs(sum(d is None for d, _ in answers) / 4000 - 0.2) < 0.03
    assert abs(sum(v == REJECT for _, v in answers) / 4000 - 0.3) < 0.03
    delays = sorted(d for d, _ in answers if d is not None)
    assert abs(delays[len(delays) // 2] / 120.0 - 1) < 0.1                    # the median
    with pytest.raises(ValueError):
        SimulatedHuman(error_rate=1.5)


def test_workflow_stops_risky_actions_and_bounds_the_wait():
    tasks = task_stream(hours=24, per_hour=3, risky_share=0.3, seed=1)
    q = run_workflow(tasks, timeout=600.0, seed=1)
    s = workflow_summary(q)
    assert s["tasks"] == len(tasks) and s["risky"] > 0
    assert s["max_latency_s"] <= 2 * 600.0 + 1e-9                           # two levels, then the default
    assert s["risky_stopped"] >= s["risky"] - 2
    f = outcomes_frame(q)
    assert (f["latency"] >= 0).all() and set(f["by"]) <= {"on-call", "lead", "timeout"}
    assert (f.loc[f["by"] == "timeout", "verdict"] == REJECT).all()
    assert run_workflow(tasks, timeout=600.0, seed=1).outcomes == q.outcomes   # seeded


def test_a_busy_human_makes_work_wait():
    tasks = [task(i, at=0.0) for i in range(5)]
    slow = SimulatedHuman("on-call", median=100.0, sigma=0.0, error_rate=0.0, absent=0.0)
    q = run_workflow(tasks, humans=(slow,), timeout=1e6, seed=0)
    assert sorted(o.latency for o in q.outcomes) == pytest.approx([100.0, 200.0, 300.0, 400.0, 500.0])


def test_an_absent_human_without_escalation_defaults_every_task():
    tasks = [task(i, at=10.0 * i) for i in range(4)]
    q = run_workflow(tasks, humans=(SimulatedHuman("on-call", absent=1.0),), timeout=60.0, seed=0)
    assert all(o.by == "timeout" and o.verdict == REJECT and math.isclose(o.latency, 60.0) for o in q.outcomes)


def test_known_anomalies_go_to_their_runbook():
    assert route("disk full") == "runbook: rotate logs" and route("latency and errors up") == "human queue"


def test_compare_workflows_rows():
    from dsysedu.ops.humans import compare_workflows
    table = compare_workflows(task_stream(hours=12, per_hour=3, risky_share=0.3, seed=2), seed=2).set_index("setup")
    assert table.loc["no human", "risky_stopped"] == 0 and table.loc["no human", "max_latency_s"] == 0
    assert table.loc["on-call, then lead", "max_latency_s"] <= 1200.0
    assert table.loc["on-call, then lead", "risky_stopped"] >= table.loc["no human", "risky_stopped"]

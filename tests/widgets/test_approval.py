"""The approval console: clicks record verdicts at the console's clock; a simulated human presses the buttons."""
import doctest

from dsysedu.ops.humans import ApprovalQueue, HumanTask, SimulatedHuman, task_stream
from dsysedu.widgets import approval as module
from dsysedu.widgets.approval import ApprovalConsole


def test_doctests():
    assert doctest.testmod(module).failed == 0


def test_buttons_decide_the_task_on_screen():
    tasks = [HumanTask(0, "deploy", "deploy v2", False, 0.0), HumanTask(1, "delete data", "drop t", True, 5.0)]
    c = ApprovalConsole(ApprovalQueue(timeout=600), tasks)
    assert "task 0" in c.task.value and not c.approve.disabled
    c.advance(10.0)
    c.reject.click()                     # the oldest first: task 0
    assert [(o.task.id, o.verdict, o.decided) for o in c.queue.outcomes] == [(0, "reject", 10.0)]
    assert "task 0 rejected by on-call" in c.decisions.value
    assert "task 1" in c.task.value
    c.approve.click()
    assert c.approve.disabled and "nothing waits" in c.task.value
    assert "task 1 approved by on-call" in c.decisions.value


def test_nobody_clicks_the_task_escalates_and_defaults():
    c = ApprovalConsole(ApprovalQueue(timeout=60), [HumanTask(0, "deploy", "x", True, 0.0)])
    c.wait.click()
    assert c.now == 300.0 and c.queue.outcomes[0].by == "timeout"
    c = ApprovalConsole(ApprovalQueue(timeout=60), [HumanTask(0, "deploy", "x", True, 0.0)])
    c.advance(61.0)
    assert "waiting for <b>lead</b>" in c.task.value
    c.advance(60.0)
    assert c.queue.outcomes[0].by == "timeout" and "timed out: reject" in c.decisions.value


def test_a_simulated_human_presses_every_button():
    tasks = task_stream(hours=8, per_hour=4, risky_share=0.3, seed=3)
    c = ApprovalConsole(ApprovalQueue(timeout=600), tasks)
    c.play(SimulatedHuman(error_rate=0.0, absent=0.2), seed=3)
    assert len(c.queue.outcomes) == len(tasks) and not c.queue.pending
    clicked = [o for o in c.queue.outcomes if o.by != "timeout"]
    assert clicked and all((o.verdict == "reject") == o.task.risky for o in clicked)

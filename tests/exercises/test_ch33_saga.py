"""The compensation-order exercise: the reference passes and agrees with the orchestrator on logs of
real runs; typical wrong answers are caught."""
from dsysedu.exercises import check
from instructor.references.ch33_saga import compensation_plan_reference
from dsysedu.protocols.transactions.saga import STEPS, Done, Orchestrator, Undone
from dsysedu.sim.node import Context


def test_reference_passes():
    assert check("ch33-compensations", compensation_plan_reference).passed


def test_reference_agrees_with_the_orchestrator():
    for fail_step in range(1, 4):
        o = Orchestrator("orch", peers=STEPS, orders=("s1",), retry_after=None)
        ctx = Context("orch", peers=STEPS)
        o.on_start(ctx)
        for k in range(1, fail_step):
            o.on_message(ctx, STEPS[k - 1], Done("s1", k, True))
        o.on_message(ctx, STEPS[fail_step - 1], Done("s1", fail_step, False))
        while True:
            log = [(ev, step) for _s, ev, step in o.log if ev in ("done", "failed", "undone")]
            plan = compensation_plan_reference(log)
            assert (plan[0] if plan else None) == o.to_undo("s1")
            if not plan:
                break
            o.on_message(ctx, STEPS[plan[0] - 1], Undone("s1", plan[0]))


def test_wrong_answers_are_caught():
    def forward(log):
        return sorted(compensation_plan_reference(log))
    def forgets_undone(log):
        return sorted({s for e, s in log if e == "done"}, reverse=True) if any(e == "failed" for e, _ in log) else []
    def ignores_failure(log):
        return sorted({s for e, s in log if e == "done"} - {s for e, s in log if e == "undone"}, reverse=True)
    def keeps_duplicates(log):
        if not any(e == "failed" for e, _ in log):
            return []
        undone = {s for e, s in log if e == "undone"}
        return [s for e, s in reversed(log) if e == "done" and s not in undone]
    for wrong in (forward, forgets_undone, ignores_failure, keeps_duplicates):
        fb = check("ch33-compensations", wrong)
        assert not fb.passed, wrong.__name__
        assert "First failing case" in fb.text()

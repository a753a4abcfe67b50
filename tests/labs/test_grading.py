"""Every lab: the reference solution earns full marks, a broken one loses points with a counterexample.

The reference solutions are read from the lab notebooks (``references.py``); the broken servers are in
``broken.py``. A failure must carry the checker's evidence inside its trace, draw, and replay from its
seed to the same verdict.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dsysedu.exercises.labs import LABS, grade_lab  # noqa: E402

from .broken import broken_servers  # noqa: E402
from .references import reference  # noqa: E402

#: the parts each broken server must lose (it may lose more)
MUST_LOSE = {"echo": {"echo"}, "unique-ids": {"unique ids", "unique ids, model-checked"},
             "broadcast": {"fault-tolerant broadcast"}, "g-counter": {"counter under partitions and loss"},
             "kafka": {"replicated log"}, "raft": {"leader election", "leader election, model-checked"}}
#: and the parts it passes all the same (the checkers do not fail what is right)
STILL_PASSES = {"broadcast": {"multi-node broadcast"}, "g-counter": {"grow-only counter"},
                "kafka": {"single-node log"}}


@pytest.mark.parametrize("lab", list(LABS))
def test_the_reference_solution_earns_full_marks(lab):
    cls, _ = reference(lab)
    report = grade_lab(lab, cls)
    assert report.total == report.out_of == sum(p.points for p in LABS[lab].parts), report.text()
    assert report.failure is None and report.replay_call() is None


@pytest.mark.parametrize("lab", list(LABS))
def test_a_broken_solution_loses_points_with_a_counterexample(lab):
    cls = broken_servers()[lab]
    report = grade_lab(lab, cls)
    lost = {p for p, pts in report.points.items() if pts == 0}
    assert MUST_LOSE[lab] <= lost, report.text()
    assert not (STILL_PASSES.get(lab, set()) & lost), report.text()
    for f in report.failures:
        assert f.trace is not None, f
        assert f.verdict.events and all(0 <= e < len(f.trace.rows) for e in f.verdict.events), f.verdict
    ax = report.draw()
    assert ax.dsysedu_counts["arrows"] > 0
    plt.close("all")


@pytest.mark.parametrize("lab", list(LABS))
def test_a_failing_run_replays_from_its_seed(lab):
    cls = broken_servers()[lab]
    report = grade_lab(lab, cls)
    f = next(f for f in report.failures if f.seed is not None)
    assert report.replay_call() is None or str(f.seed) in report.replay_call()
    again = grade_lab(lab, cls, seed=f.seed, parts=[f.part])
    assert again.failure.verdict == f.verdict
    assert again.failure.trace.rows == f.trace.rows


def test_the_model_checker_draws_the_raft_double_vote():
    report = grade_lab("raft", broken_servers()["raft"], parts=["leader election, model-checked"])
    f = report.failure
    assert f.seed is None and f.verdict.property == "election safety"
    leaders = [r for r in f.trace.rows if r[1] == "observe" and r[5] == "leader"]
    assert len({r[2] for r in leaders}) == 2 and len({r[6] for r in leaders}) == 1   # two leaders, one term
    assert "model checker" in report.text() and report.replay_call() is None

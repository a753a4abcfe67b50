"""Reference solutions: chapter 3.3 exercise on sagas: the order of compensations.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch33_saga) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations


__all__ = ["compensation_plan_reference"]


def compensation_plan_reference(log) -> list:
    """The steps to compensate next, newest first; ``[]`` while no step has failed.

    ``log`` is a list of ``(event, step)`` with event ``"done"``, ``"failed"`` or ``"undone"``,
    in the order they were written.
    """
    if not any(event == "failed" for event, _ in log):
        return []
    done = {step for event, step in log if event == "done"}
    undone = {step for event, step in log if event == "undone"}
    return sorted(done - undone, reverse=True)


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch33-compensations": compensation_plan_reference}

"""Reference solutions: chapter 3.3 exercise: what a Paxos Commit backup proposes when it takes over.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch33_paxos) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations


__all__ = ["backup_proposals_reference"]


def backup_proposals_reference(promises, rms) -> dict:
    """``{rm: value}``: per RM, the value of the highest ballot among the promises, else ``"aborted"``."""
    out = {}
    for rm in rms:
        seen = [accepted[rm] for accepted in promises if rm in accepted]
        out[rm] = max(seen)[1] if seen else "aborted"
    return out


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch33-paxos-commit": backup_proposals_reference}

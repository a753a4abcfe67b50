"""Reference solutions: chapter 3.3 exercises: the two rules of two-phase commit.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch33) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations


__all__ = ["decide_reference", "silence_reference"]


def decide_reference(votes, participants: int, timed_out: bool) -> str:
    """Commit only on a yes from every participant; abort on any no, or when the votes are late."""
    if any(v is False for v in votes):
        return "abort"
    if len(votes) == participants and all(v is True for v in votes):
        return "commit"
    return "abort" if timed_out else "wait"


def silence_reference(phase: str) -> str:
    """A participant that hears nothing from the coordinator: ``working`` -> ``"abort"`` (it has not
    voted yes, so it may), ``prepared`` -> ``"ask"`` (it promised to obey: keep the locks and ask),
    ``committed`` / ``aborted`` -> ``"nothing"``."""
    return {"working": "abort", "prepared": "ask", "committed": "nothing", "aborted": "nothing"}[phase]


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch33-decide": decide_reference, "ch33-participant": silence_reference}

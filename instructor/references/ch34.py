"""Reference solutions: chapter 3.4 exercises: the two calculations inside a failure detector.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch34) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from dsysedu.protocols.membership.failure_detectors import phi

__all__ = ["phi_reference", "suspects_reference"]


def phi_reference(elapsed: float, intervals) -> float:
    """φ after ``elapsed`` seconds of silence: ``-log10`` of the chance that a heartbeat comes
    later still, with inter-arrival times normal (window mean, std at least 0.01)."""
    return phi(elapsed, intervals, min_std=0.01)


def suspects_reference(arrivals: dict, now: float, timeout: float) -> set:
    """The peers silent for ``timeout`` seconds or more at ``now``.

    ``arrivals`` maps each peer to the times its heartbeats arrived; a peer with no heartbeat
    yet counts as silent since time 0 (the detector started then).
    """
    return {peer for peer, times in arrivals.items() if now - max(times, default=0.0) >= timeout}


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch34-phi": phi_reference, "ch34-suspects": suspects_reference}

"""Reference solutions: chapter 1 exercises: what a client can know over an unreliable link.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch1) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from dsysedu.protocols.basics.request_reply import outcomes

__all__ = ["classify_reference", "timeout_reference"]


def classify_reference(trace) -> dict:
    """Map each request id to ``ok``, ``unknown-applied``, ``unknown-not-applied`` or ``pending``."""
    df = outcomes(trace)
    return dict(zip(df.req_id.tolist(), df.case.tolist()))


def timeout_reference(max_latency: float, processing: float = 0.0) -> float:
    """The smallest timeout that never gives up on a request that will be answered:
    a request and its reply each take at most ``max_latency``."""
    return 2 * max_latency + processing


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch1-classify": classify_reference, "ch1-timeout": timeout_reference}

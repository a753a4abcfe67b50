"""Reference solutions: chapter 6 exercises: the rules a scaler and its guard run on.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch6) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

import math
from numbers import Real
from dsysedu.ops.autoscaling import hpa_desired
from dsysedu.ops.guard import Bounds

__all__ = ["hpa_reference", "stabilised_reference", "guard_reference"]


def hpa_reference(current, metric, target, tolerance) -> int:
    """Replicas the HPA wants: ``current`` while ``|metric / target - 1| <= tolerance``, else
    ``ceil(current * metric / target)``."""
    return hpa_desired(current, metric, target, tolerance)


def stabilised_reference(recommendations, current, window) -> int:
    """What the HPA applies now. ``recommendations`` is a list of ``(time, raw)``, oldest first, the last
    one now's. A raw count at or above ``current`` is applied at once; a lower one only down to the highest
    raw count of the last ``window`` seconds (``now - window <= time``), and never above ``current``."""
    now, raw = recommendations[-1]
    if raw >= current:
        return raw
    return min(current, max(r for t, r in recommendations if t >= now - window))


def guard_reference(current, proposal, fallback, min_replicas, max_replicas, max_step) -> int:
    """The count a guard lets through: ``proposal`` if it is a whole number (an int, or a float such as
    ``7.0``; not a bool, not NaN or infinite), else ``fallback``; then moved at most ``max_step`` from
    ``current``, then put into ``[min_replicas, max_replicas]``."""
    ok = (isinstance(proposal, Real) and not isinstance(proposal, bool) and math.isfinite(proposal)
          and proposal == int(proposal))
    wanted = int(proposal) if ok else fallback
    return Bounds(min_replicas, max_replicas, max_step).clip(current, wanted)


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch6-hpa": hpa_reference, "ch6-stabilise": stabilised_reference, "ch6-guard": guard_reference}

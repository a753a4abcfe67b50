"""Reference solutions: chapter 9 exercises: three rules an operations team writes.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch9) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

import math
import numpy as np
import pandas as pd
from dsysedu.ops.alerting import BurnRate

__all__ = ["burn_rate_firing_reference", "steady_state_reference", "health_states_reference"]


def burn_rate_firing_reference(bad, total, slo, factor, long, short) -> list:
    """Per window: is the bad share over the last ``long`` windows *and* over the last ``short``
    windows above ``factor * (1 - slo)``? (Fewer windows at the start; a window span with no
    requests has a bad share of 0.)"""
    frame = pd.DataFrame({"end": np.arange(1, len(bad) + 1, dtype=float), "bad": list(bad),
                          "requests": list(total)})
    if not len(frame):
        return []
    rule = BurnRate(slo, float(long), float(short), factor, scale=1.0)
    return [bool(x) for x in rule.firing(frame)]


def steady_state_reference(windows, max_bad_share, max_p99) -> bool:
    """Does the steady state hold over ``windows`` (a list of ``(requests, bad, p99)``)?

    It holds when the bad share over all of them, ``sum(bad) / sum(requests)``, is at most
    ``max_bad_share`` (no requests at all: it holds) and no window with requests has a p99 above
    ``max_p99`` (a window without requests has p99 ``nan`` and says nothing).
    """
    requests = sum(r for r, _b, _p in windows)
    bad = sum(b for _r, b, _p in windows)
    if requests and bad / requests > max_bad_share:
        return False
    return all(p <= max_p99 for r, _b, p in windows if r and not math.isnan(p))


def health_states_reference(checks, fall, rise) -> list:
    """The health state after each check (``True`` = the check passed), starting ``"healthy"``:
    unhealthy after ``fall`` failed checks in a row, healthy again after ``rise`` passed in a row."""
    state, failed, passed, out = "healthy", 0, 0, []
    for ok in checks:
        if ok:
            passed, failed = passed + 1, 0
            if state == "unhealthy" and passed >= rise:
                state = "healthy"
        else:
            failed, passed = failed + 1, 0
            if state == "healthy" and failed >= fall:
                state = "unhealthy"
        out.append(state)
    return out


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch9-burn-rate": burn_rate_firing_reference, "ch9-steady-state": steady_state_reference, "ch9-hysteresis": health_states_reference}

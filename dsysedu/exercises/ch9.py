"""Chapter 9 exercises: three rules an operations team writes.

- ``ch9-burn-rate``: a multi-window burn-rate alert, window by window (the SRE Workbook's rule, as
  :class:`dsysedu.ops.alerting.BurnRate` computes it);
- ``ch9-steady-state``: a steady-state probe: does a stretch of SLI windows meet its tolerances?
- ``ch9-hysteresis``: a health state with ``fall``/``rise`` hysteresis over a sequence of checks (as the
  reconciliation loop's :meth:`dsysedu.ops.healing.Controller.observe_health` keeps it).
"""
from __future__ import annotations

from .core import Exercise, register, same_bool

__all__ = []


# ------------------------------------------------------------------ burn rate


def _burn_cases():
    quiet = [0] * 20
    return [
        ("all quiet", (quiet, [100] * 20, 0.99, 14.4, 12, 1)),
        ("an outage of 5 windows: the long window needs a few to pass 14.4 %",
         (quiet + [100] * 5 + quiet, [100] * 45, 0.99, 14.4, 12, 1)),
        ("a blip of 1 window: above in the short window, not in the long one",
         (quiet + [100] + quiet, [100] * 41, 0.99, 14.4, 60, 5)),
        ("the short window stops the alert soon after the outage ends",
         (quiet + [100] * 10 + quiet, [100] * 50, 0.99, 6.0, 30, 3)),
        ("a young series: at the start the long window has fewer windows",
         ([50, 50, 0, 0, 0], [100] * 5, 0.99, 14.4, 60, 1)),
        ("windows without requests count as nothing, not as bad",
         ([0, 5, 0, 0, 5, 5], [0, 10, 0, 0, 10, 10], 0.9, 2.0, 3, 1)),
        ("exactly at the threshold does not fire (strictly above)",
         ([6] * 10, [100] * 10, 0.99, 6.0, 5, 2)),
        ("a 99.9 % objective: a small bad share already burns fast",
         ([2] * 30, [100] * 30, 0.999, 14.4, 10, 2)),
        ("no windows at all", ([], [], 0.99, 14.4, 12, 1)),
    ]


register(Exercise(
    id="ch9-burn-rate",
    title="A multi-window burn-rate alert: does it fire in each window?",
    cases=_burn_cases,
    same=lambda expected, got: isinstance(got, (list, tuple)) and [bool(g) for g in got] == expected,
    hint="for window i, sum bad and total over windows max(0, i - long + 1) .. i and over max(0, i - short + 1) .. i; "
         "each share is bad / total (0 when total is 0); fire when both shares are > factor * (1 - slo).",
))


# ------------------------------------------------------------------ steady state


def _steady_cases():
    nan = float("nan")
    calm = [(10, 0, 0.03)] * 5
    return [
        ("a calm stretch holds", (calm, 0.01, 0.2)),
        ("one slow window refutes it", (calm + [(10, 0, 0.4)], 0.01, 0.2)),
        ("the bad share is over the whole stretch, not per window",
         ([(100, 0, 0.03)] * 9 + [(100, 5, 0.03)], 0.01, 0.2)),
        ("too many bad requests in total", ([(100, 2, 0.03)] * 10, 0.01, 0.2)),
        ("exactly at the tolerance holds", ([(100, 1, 0.2)] * 3, 0.01, 0.2)),
        ("an empty window's p99 is nan and says nothing", (calm + [(0, 0, nan)], 0.01, 0.2)),
        ("no requests at all: nothing refutes it", ([(0, 0, nan)] * 3, 0.0, 0.1)),
        ("no windows", ([], 0.01, 0.2)),
        ("a strict objective", ([(1000, 1, 0.05)] * 4, 0.0001, 0.1)),
    ]


register(Exercise(
    id="ch9-steady-state",
    title="A steady-state probe: does the system meet its tolerances?",
    cases=_steady_cases,
    same=same_bool,
    hint="add up requests and bad over all windows; if there were requests and bad / requests > max_bad_share, "
         "return False; then return False if any window with requests > 0 has p99 > max_p99 (skip nan); else True.",
))


# ------------------------------------------------------------------ hysteresis


def _hysteresis_cases():
    flaky = [True, False, True, False, False, True, False, False, False, True, True, False, True, True, True]
    return [
        ("all checks pass", ([True] * 6, 3, 2)),
        ("three failures in a row with fall = 3", ([True, False, False, False, True], 3, 2)),
        ("two failures are not enough for fall = 3", ([False, False, True, False, False], 3, 2)),
        ("rise = 2: one good check does not bring it back", ([False, False, False, True, False, True, True], 3, 2)),
        ("fall = rise = 1 follows every check: flapping", (flaky, 1, 1)),
        ("the same checks with fall = 3, rise = 2", (flaky, 3, 2)),
        ("the same checks with fall = 2, rise = 3", (flaky, 2, 3)),
        ("no checks", ([], 3, 2)),
    ]


register(Exercise(
    id="ch9-hysteresis",
    title="Hysteresis: the health state after each check",
    cases=_hysteresis_cases,
    same=lambda expected, got: isinstance(got, (list, tuple)) and list(got) == expected,
    hint="keep two counters, failures in a row and passes in a row (a pass resets the failures and the other way "
         "round); a healthy target turns 'unhealthy' when failures reach fall, an unhealthy one 'healthy' when "
         "passes reach rise; append the state after every check.",
))

"""Chapter 6 exercises: the rules a scaler and its guard run on.

- ``ch6-hpa``: the Kubernetes HPA rule, ``ceil(current * metric / target)`` with its tolerance
  (:func:`dsysedu.ops.autoscaling.hpa_desired`);
- ``ch6-stabilise``: the scale-down stabilisation window: what the HPA applies given its recent
  recommendations (the rule of :meth:`dsysedu.ops.autoscaling.HPA.recommend`);
- ``ch6-guard``: what a guard lets through from a model's answer: a replica count, or the fallback,
  clipped to a step and a range (:class:`dsysedu.ops.guard.Bounds`).
"""
from __future__ import annotations


from .core import Exercise, register, same_int

__all__ = []


# ------------------------------------------------------------------ the HPA rule


def _hpa_cases():
    return [
        ("half again the target: 4 replicas become 6", (4, 75.0, 50.0, 0.1)),
        ("6 % over the target is inside the 10 % tolerance: no change", (4, 53.0, 50.0, 0.1)),
        ("exactly at the tolerance's edge (ratio 1.1): still no change", (10, 55.0, 50.0, 0.1)),
        ("12 % over: outside the tolerance, and the ceiling rounds up", (3, 56.0, 50.0, 0.1)),
        ("under the target: scale down", (10, 20.0, 50.0, 0.1)),
        ("a metric of 0 asks for 0 (the HPA's minimum is applied elsewhere)", (5, 0.0, 50.0, 0.1)),
        ("no tolerance at all", (4, 51.0, 50.0, 0.0)),
        ("a wide tolerance of 50 %", (8, 70.0, 50.0, 0.5)),
        ("a large cluster", (120, 61.0, 50.0, 0.1)),
        ("a tiny ratio still leaves one replica", (50, 0.5, 50.0, 0.1)),
    ]


register(Exercise(
    id="ch6-hpa",
    title="The Kubernetes HPA rule: how many replicas?",
    cases=_hpa_cases,
    same=same_int,
    hint="ratio = metric / target; if abs(ratio - 1) <= tolerance return current; else return "
         "math.ceil(current * ratio) as an int.",
))


# ------------------------------------------------------------------ the stabilisation window


def _stabilise_cases():
    return [
        ("a scale-up is applied at once", ([(0, 4), (15, 9)], 4, 300)),
        ("the load fell, but 10 was recommended 15 s ago: stay at 10", ([(0, 10), (15, 5)], 10, 300)),
        ("the 10 left the window: down to the highest that is left", ([(0, 10), (200, 7), (315, 5)], 10, 300)),
        ("a recommendation exactly window seconds old still counts", ([(0, 9), (300, 5)], 10, 300)),
        ("no window: down at once", ([(0, 10), (15, 5)], 10, 0)),
        ("never above the current count", ([(0, 30), (15, 5)], 12, 300)),
        ("only one recommendation", ([(50, 3)], 6, 300)),
        ("equal to current: nothing changes", ([(0, 8), (15, 8)], 8, 300)),
        ("a longer history", ([(t, r) for t, r in zip(range(0, 600, 15), [12, 11, 10, 9, 8, 7, 6, 5] * 5)], 12, 300)),
    ]


register(Exercise(
    id="ch6-stabilise",
    title="The scale-down stabilisation window",
    cases=_stabilise_cases,
    hint="now, raw = recommendations[-1]; if raw >= current return raw; else take the largest r of the pairs "
         "(t, r) with t >= now - window, and return min(current, that).",
))


# ------------------------------------------------------------------ the guard


def _guard_cases():
    return [
        ("a good answer inside every bound goes through", (10, 12, 11, 2, 50, 5)),
        ("a million replicas: at most max_step up", (10, 1_000_000, 11, 2, 50, 5)),
        ("zero replicas: at most max_step down", (10, 0, 11, 2, 50, 5)),
        ("near the floor: the minimum wins", (3, 0, 3, 2, 50, 5)),
        ("near the ceiling: the maximum wins", (48, 60, 48, 2, 50, 5)),
        ("None is not an answer: the fallback", (10, None, 11, 2, 50, 5)),
        ("NaN is not an answer: the fallback", (10, float("nan"), 13, 2, 50, 5)),
        ("a string is not an answer", (10, "many", 9, 2, 50, 5)),
        ("True is not a count", (10, True, 11, 2, 50, 5)),
        ("3.5 replicas is not a count", (10, 3.5, 12, 2, 50, 5)),
        ("7.0 is a whole number", (6, 7.0, 12, 2, 50, 5)),
        ("infinity is not a count", (10, float("inf"), 10, 2, 50, 5)),
        ("the fallback is clipped too", (10, None, 100, 2, 50, 5)),
        ("a negative answer", (10, -5, 10, 2, 50, 5)),
    ]


register(Exercise(
    id="ch6-guard",
    title="A guard: what may a model's answer do?",
    cases=_guard_cases,
    same=same_int,
    hint="a proposal counts only if isinstance(p, (int, float)), not a bool, math.isfinite(p) and p == int(p); "
         "otherwise use fallback. Then r = min(current + max_step, max(current - max_step, r)), and "
         "min(max_replicas, max(min_replicas, r)).",
))

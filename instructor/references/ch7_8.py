"""Reference solutions: chapter 7/8 exercises: availability arithmetic, a plan, a canary's verdict and a Pareto front.

Instructor only: this folder is not in the wheel nor in the student release. The checker
(dsysedu.exercises.ch7_8) compares with answers frozen from these functions by ``python -m instructor freeze``.
"""
from __future__ import annotations

from math import comb
import numpy as np
import pandas as pd
from dsysedu.ops.canary import judge
from dsysedu.ops.cluster import Cluster
from dsysedu.ops.infra import DesiredState, ServiceSpec, plan
from dsysedu.ops.selection import pareto_front

__all__ = ["availability_reference", "plan_reference", "canary_reference", "pareto_reference"]


def availability_reference(system) -> float:
    """The availability of ``system``: a number (one component's availability) or a tuple
    ``("series", [parts])``, ``("parallel", [parts])`` or ``("k_of_n", k, n, part)`` (n copies of
    ``part``, up when at least k are up); parts fail independently."""
    if isinstance(system, (int, float)):
        return float(system)
    kind = system[0]
    if kind == "series":
        return float(np.prod([availability_reference(p) for p in system[1]]))
    if kind == "parallel":
        return 1.0 - float(np.prod([1.0 - availability_reference(p) for p in system[1]]))
    _, k, n, part = system
    a = availability_reference(part)
    return float(sum(comb(n, i) * a ** i * (1 - a) ** (n - i) for i in range(k, n + 1)))


def plan_reference(desired: dict, running: dict) -> set:
    """The changes from ``running`` (instance id -> version) to ``desired`` (service -> (version, replicas)),
    as a set of tuples: ``("create", id, version)``, ``("update", id, old, new)``, ``("destroy", id, version)``."""
    state = DesiredState(tuple(ServiceSpec(s, v, r) for s, (v, r) in desired.items()), entry=sorted(desired)[0])
    out = set()
    for c in plan(state, Cluster(running)):
        if c.op == "create":
            out.add(("create", c.target, c.after))
        elif c.op == "update":
            out.add(("update", c.target, c.before, c.after))
        elif c.op == "destroy":
            out.add(("destroy", c.target, c.before))
    return out


def canary_reference(baseline, canary, alpha=0.05, min_effect=0.2) -> bool:
    """True to promote: roll back only if the canary's latencies are significantly greater (one-sided
    Mann-Whitney U, p < alpha) AND its median exceeds the baseline's by more than ``min_effect``."""
    n = len(baseline)
    return judge(baseline, canary, [0] * n, [0] * len(canary), alpha=alpha, latency_effect=min_effect).promote


def pareto_reference(options) -> set:
    """The names of the options ``(name, cost, availability)`` that no other option dominates (lower or
    equal cost and higher or equal availability, one of them strictly)."""
    if not options:
        return set()
    table = pd.DataFrame([o[1:] for o in options], columns=["cost", "availability"], index=[o[0] for o in options])
    front = pareto_front(table, {"cost": -1, "availability": 1})
    return set(front[front].index)


#: exercise id -> reference solution (for ``python -m instructor freeze`` and the tests)
REFERENCES = {"ch7-availability": availability_reference, "ch8-plan": plan_reference, "ch8-canary": canary_reference, "ch8-pareto": pareto_reference}

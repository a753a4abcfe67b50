"""Chapter 7/8 exercises: availability arithmetic, a plan, a canary's verdict and a Pareto front.

- ``ch7-availability``: the availability of a system built from components in series, in parallel and
  k-of-n (the arithmetic of chapter 7's cost-effectiveness);
- ``ch8-plan``: the changes that take a running cluster to a desired state (chapter 8.2,
  :func:`dsysedu.ops.infra.plan`);
- ``ch8-canary``: promote or roll back a canary on its latencies (chapter 8.3, :func:`dsysedu.ops.canary.judge`);
- ``ch8-pareto``: the options no other option beats on cost and availability (chapter 8.4,
  :func:`dsysedu.ops.selection.pareto_front`).
"""
from __future__ import annotations


import numpy as np

from .core import Exercise, close, register, same_bool

__all__ = []


# ------------------------------------------------------------------ availability arithmetic


def _availability_cases():
    return [
        ("one component", (0.99,)),
        ("two in series: both must be up", (("series", [0.99, 0.999]),)),
        ("two in parallel: one is enough", (("parallel", [0.9, 0.9]),)),
        ("three in parallel, different", (("parallel", [0.9, 0.95, 0.99]),)),
        ("2 of 3 (a majority quorum)", (("k_of_n", 2, 3, 0.99),)),
        ("3 of 5", (("k_of_n", 3, 5, 0.95),)),
        ("1 of n is parallel", (("k_of_n", 1, 4, 0.8),)),
        ("n of n is series", (("k_of_n", 4, 4, 0.8),)),
        ("a load balancer in front of a pair of servers, then a database",
         (("series", [0.9999, ("parallel", [0.99, 0.99]), 0.999]),)),
        ("a quorum of replicas, each a server and its disk in series",
         (("k_of_n", 2, 3, ("series", [0.999, 0.995])),)),
        ("two data centres in parallel, each a series", (("parallel", [("series", [0.99, 0.995]),
                                                                         ("series", [0.98, 0.999])]),)),
        ("an empty series is always up", (("series", []),)),
    ]


register(Exercise(
    id="ch7-availability",
    title="Availability arithmetic: series, parallel and k-of-n",
    cases=_availability_cases,
    same=close,
    hint="series: multiply the parts' availabilities; parallel: 1 - the product of (1 - a) over the parts; k_of_n: "
         "sum over i = k..n of comb(n, i) * a**i * (1 - a)**(n - i), with a the part's availability; a part may "
         "itself be a tuple, so call your function on it (recursion).",
))


# ------------------------------------------------------------------ a plan


def _plan_cases():
    return [
        ("an empty cluster: create everything", ({"orders": ("1.0", 2)}, {})),
        ("nothing to do", ({"orders": ("1.0", 2)}, {"orders-0": "1.0", "orders-1": "1.0"})),
        ("a new version: update in place", ({"orders": ("1.1", 2)}, {"orders-0": "1.0", "orders-1": "1.0"})),
        ("scale down: the highest index goes", ({"orders": ("1.0", 1)}, {"orders-0": "1.0", "orders-1": "1.0"})),
        ("a dead instance comes back", ({"orders": ("1.0", 3)}, {"orders-0": "1.0", "orders-2": "1.0"})),
        ("an instance nobody declared", ({"orders": ("1.0", 1)}, {"orders-0": "1.0", "orders-9": "1.0"})),
        ("a service nobody declared any more", ({"orders": ("1.0", 1)}, {"orders-0": "1.0", "cache-0": "7"})),
        ("a hot-fix by hand is undone", ({"orders": ("1.0", 2), "store": ("5", 1)},
                                          {"orders-0": "1.0-hotfix", "orders-1": "1.0", "store-0": "5"})),
        ("zero replicas: destroy them all", ({"orders": ("1.0", 0)}, {"orders-0": "1.0", "orders-1": "1.0"})),
        ("several services at once", ({"gateway": ("2", 2), "orders": ("1.1", 3), "store": ("5", 1)},
                                      {"gateway-0": "2", "orders-0": "1.0", "orders-1": "1.1", "store-0": "4",
                                       "store-1": "4"})),
    ]


register(Exercise(
    id="ch8-plan",
    title="Infrastructure as code: the plan from the running cluster to the desired state",
    cases=_plan_cases,
    same=lambda expected, got: isinstance(got, (set, list, tuple, frozenset)) and set(map(tuple, got)) == expected,
    hint="the desired instances are f'{service}-{i}' for i in range(replicas), each with its service's version; "
         "create those not running, update those running another version, destroy every running instance that "
         "is not desired; return a set of tuples.",
))


# ------------------------------------------------------------------ a canary's verdict


def _canary_cases():
    rng = np.random.default_rng(8)
    base = [round(float(x), 5) for x in rng.exponential(0.01, 60) + 0.005]
    slow = [round(float(x), 5) for x in rng.exponential(0.02, 60) + 0.005]
    same = [round(float(x), 5) for x in rng.exponential(0.01, 60) + 0.005]
    big = [round(float(x), 5) for x in rng.normal(0.010, 0.0004, 3000)]
    return [
        ("a canary twice as slow", (base, slow)),
        ("a canary like the baseline", (base, same)),
        ("a faster canary is never rolled back", (slow, base)),
        ("significant but small: 5 % slower on 3,000 requests", (big, [x * 1.05 for x in big])),
        ("a big effect on too few requests", (base[:4], slow[:4])),
        ("a stricter alpha", (base, [x * 1.25 for x in same], 0.001, 0.2)),
        ("a smaller effect threshold", (big, [x * 1.05 for x in big], 0.05, 0.01)),
        ("identical values", ([0.01] * 20, [0.01] * 20)),
    ]


register(Exercise(
    id="ch8-canary",
    title="A canary's verdict: promote or roll back",
    cases=_canary_cases,
    same=same_bool,
    hint="p = scipy.stats.mannwhitneyu(canary, baseline, alternative='greater').pvalue (take p = 1 when every value "
         "is the same); effect = median(canary) / median(baseline) - 1; roll back (return False) only when "
         "p < alpha and effect > min_effect.",
))


# ------------------------------------------------------------------ a Pareto front


def _pareto_cases():
    return [
        ("one option", ([("a", 1, 0.9)],)),
        ("cheaper and better wins", ([("a", 1, 0.99), ("b", 2, 0.9)],)),
        ("a real trade: both stay", ([("a", 1, 0.9), ("b", 2, 0.99)],)),
        ("the chapter's registers", ([("ABD 3", 14, 0.0), ("ABD 5", 22, 0.76), ("ABD 7", 30, 0.77),
                                      ("LWW 3", 3.9, 0.58), ("LWW 5", 7.3, 0.79), ("lazy 3", 3.1, 0.59)],)),
        ("equal on one property, better on the other", ([("a", 1, 0.9), ("b", 1, 0.95)],)),
        ("two identical options both stay", ([("a", 1, 0.9), ("b", 1, 0.9)],)),
        ("a staircase", ([("a", 1, 0.5), ("b", 2, 0.7), ("c", 3, 0.9), ("d", 2.5, 0.6), ("e", 4, 0.9)],)),
        ("no options", ([],)),
    ]


register(Exercise(
    id="ch8-pareto",
    title="The Pareto front of cost and availability",
    cases=_pareto_cases,
    same=lambda expected, got: isinstance(got, (set, list, tuple, frozenset)) and set(got) == expected,
    hint="an option is dominated if another has cost <= and availability >= with at least one strict; return the "
         "set of names of the options that are not dominated.",
))

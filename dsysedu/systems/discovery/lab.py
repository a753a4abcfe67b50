"""The traffic lab: one setting of the §4.3/§4.4 dashboard, as a scenario and its measures.

:func:`traffic_lab_scenario` builds client-side balancing from 4 clients to ``backends`` queue
servers (one worker each, 20 ms per request on average: 50 requests per second each), the first
of them ``slow_factor`` times slower, with a 0.5 s timeout per attempt, a retry policy of
:data:`RETRY_POLICIES`, a breaker per backend (3 failures in a row eject it for 2 s) and load
shedding (each backend's queue holds at most what it serves in a quarter of the timeout) on or
off (``timeout`` changes the 0.5 s). :func:`traffic_lab_measures` are the run's latency
percentiles, goodput and failures after a one-second warm-up; :func:`traffic_lab_table` formats
them.
"""
from __future__ import annotations

from dsysedu.sim.validate import number, positive_int
from dsysedu.systems.resilience.measures import traffic_summary
from .balancing import POLICIES, balancing_scenario

__all__ = ["RETRY_POLICIES", "traffic_lab_scenario", "traffic_lab_measures", "traffic_lab_table", "LAB_SERVICE",
           "LAB_TIMEOUT", "timeout_table"]

LAB_SERVICE = 0.02
LAB_TIMEOUT = 0.5

#: label -> the clients' retry settings
RETRY_POLICIES = {
    "none": {},
    "3 at once": {"retries": 3},
    "3, jittered": {"retries": 3, "backoff": "full"},
    "3, budget": {"retries": 3, "backoff": "full", "retry_budget": 0.1},
}


def traffic_lab_scenario(rate: float = 150.0, backends: int = 5, slow_factor: float = 10.0,
                         policy: str = "round_robin", retry: str = "none", breaker: bool = False,
                         shedding: bool = False, timeout: float = LAB_TIMEOUT, until: float = 6.0):
    """One setting of the traffic lab (see the module docstring).

    Raises
    ------
    ValueError
        For a policy outside :data:`~dsysedu.systems.discovery.balancing.POLICIES`, a retry policy
        outside :data:`RETRY_POLICIES`, or bad numbers.

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> traffic_lab_measures(run(traffic_lab_scenario(policy="peak_ewma"), seed=7))["timeout"] < 20
    True
    """
    if retry not in RETRY_POLICIES:
        raise ValueError(f"retry must be one of {list(RETRY_POLICIES)}, got {retry!r}")
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    number("rate", rate, low=1.0, high=5000.0)
    positive_int("backends", backends, low=2, high=50)
    number("slow_factor", slow_factor, low=1.0, high=1000.0)
    limit = max(1, int(0.25 * timeout / LAB_SERVICE)) if shedding else None
    return balancing_scenario(policy, "client", backends=backends, clients=4, rate=rate, service=LAB_SERVICE,
                              slow=1 if slow_factor > 1 else 0, slow_factor=slow_factor, timeout=timeout,
                              breaker=(3, 2.0) if breaker else None, queue_limit=limit, until=until,
                              sample_every=0.1, **RETRY_POLICIES[retry])


def traffic_lab_measures(trace) -> dict:
    """:func:`~dsysedu.systems.resilience.overload.traffic_summary` after a one-second warm-up."""
    return traffic_summary(trace, since=1.0)


def traffic_lab_table(m) -> dict:
    """The dashboard's table rows."""
    n = max(1, m["requests"])
    return {"answered in time": f"{100 * m['ok'] / n:.1f} %", "goodput (per s)": round(m["goodput"], 1),
            "p50 (ms)": round(1000 * m["p50"]), "p99 (ms)": round(1000 * m["p99"]),
            "p99.9 (ms)": round(1000 * m["p99.9"]), "timeouts": m["timeout"], "shed": m["shed"],
            "refused (breaker)": m["refused"], "attempts per request": round(m["attempts per request"], 2)}


def timeout_table(settings=None, seed=0, until: float = 20.0):
    """What a timeout (and a retry after it) does for calls to 5 backends, one 10 times slower,
    round robin at 150 requests per second: one row per setting ``label -> (timeout, retries)``.

    Columns: ``answered`` (share answered ok), ``unfinished`` (still waiting when the run ended),
    ``p99 (ms)``, ``p99.9 (ms)`` (of the requests that ended) and ``attempts per request``.
    """
    import pandas as pd
    from dsysedu.sim.kernel import run
    settings = settings or {"no timeout (60 s)": (60.0, 0), "timeout 2 s": (2.0, 0), "timeout 0.5 s": (0.5, 0),
                            "timeout 0.5 s + 1 retry": (0.5, 1)}
    rows = {}
    for label, (timeout, retries) in settings.items():
        sc = traffic_lab_scenario(timeout=timeout, until=until)
        sc = sc.replace(params={}, node_params={n: ({**p, "retries": retries} if "retries" in p else p)
                                                for n, p in sc.node_params.items()})
        m = traffic_summary(run(sc, seed=seed), since=1.0)
        sent = m["requests"] + m["unfinished"]
        rows[label] = {"answered": round(m["ok"] / max(1, sent), 3), "unfinished": m["unfinished"],
                       "p99 (ms)": round(1000 * m["p99"]), "p99.9 (ms)": round(1000 * m["p99.9"]),
                       "attempts per request": round(m["attempts per request"], 2)}
    return pd.DataFrame(rows).T

"""Chaos experiments made from a choice (a service, a fault, a window), run, swept and measured.

:func:`fault_experiment` writes the experiment the chaos lab and the lesson run for one fault:

* steady-state hypothesis (稳态假设): the users' error ratio is at most 1 % and their p99 at most
  250 ms, over a window as long as the fault plus ``settle`` seconds;
* method: inject the fault on one service for ``duration`` seconds, then let the window pass
  (the requests caught by the fault finish, well or not, within ``settle`` seconds after it);
* rollbacks: end any fault still in force, let ``recovery`` seconds pass;
* blast radius: the one service.

:func:`run_fault` runs it with Chaos Toolkit on a :class:`~dsysedu.ops.chaos.ChaosLab`;
:func:`outage_table` sweeps the fault's duration over seeds; :func:`blast_radius_table` says,
service by service, who suffered in a window; :func:`lab_alerts` are the alerts of
:mod:`dsysedu.ops.alerting` (a static threshold, an EWMA baseline) on the users' requests.
"""
from __future__ import annotations

import pandas as pd

from dsysedu.sim.validate import number

from .chaos import CLIENT, DESIRED, FAULTS, MACHINES, TARGETS, ChaosLab, user_series, window_measures
from .chaos_journal import BLAST_RADIUS, read_journal, run_experiment
from .healing import CONTROLLER
from .alerting import Threshold, alerts
from .anomaly import EWMAZScore

__all__ = ["fault_experiment", "run_fault", "outage_table", "blast_radius_table", "lab_alerts", "LAB_ALERT_RULES",
           "healing_actions",
           "ERROR_TOLERANCE", "LATENCY_TOLERANCE", "SETTLE", "RECOVERY"]

ERROR_TOLERANCE = 0.01     # the users' error ratio the hypothesis allows
LATENCY_TOLERANCE = 0.25   # the users' p99 (seconds) the hypothesis allows
SETTLE = 2.0               # seconds after the fault that the hypothesis still watches
RECOVERY = 4.0             # seconds the rollback lets pass after ending the fault


def _probe(name, func, tolerance, window):
    return {"type": "probe", "name": name, "tolerance": {"type": "range", "target": "value", "range": [0, tolerance]},
            "provider": {"type": "python", "module": "dsysedu.ops.chaos", "func": func,
                         "arguments": {"window": window, "service": CLIENT}}}


def _serving_probe():
    return {"type": "probe", "name": "replicas serving", "tolerance": {"type": "range", "target": "value",
                                                                      "range": [DESIRED, DESIRED]},
            "provider": {"type": "python", "module": "dsysedu.ops.chaos", "func": "replicas_serving"}}


def _action(name, func, **arguments):
    return {"type": "action", "name": name,
            "provider": {"type": "python", "module": "dsysedu.ops.chaos", "func": func, "arguments": arguments}}


def fault_experiment(service: str, fault: str, at: float = 10.0, duration: float = 2.0, delay: float = 0.01,
                     seed: int = 7, settle: float = SETTLE, recovery: float = RECOVERY, loop: bool = True) -> dict:
    """The Chaos Toolkit experiment (a dict in its JSON format) for ``fault`` on ``service``.

    The lab warms up to ``at`` (the fault's start); the hypothesis window is ``duration +
    settle`` seconds, so ``at`` must be at least that long (a steady window before the fault).
    A machine of :data:`~dsysedu.ops.chaos.MACHINES` as ``service`` runs the experiment on the
    replicated service of 9.3 (with its reconciliation loop when ``loop``); its hypothesis is the
    users' error ratio and all :data:`~dsysedu.ops.chaos.DESIRED` replicas serving.

    Raises
    ------
    ValueError
        For a service or fault the lab does not have, or ``at`` shorter than the window.

    Examples
    --------
    >>> ex = fault_experiment("orders", "crash", at=10.0, duration=2.0)
    >>> ex["extensions"][0]
    {'name': 'blast-radius', 'services': ['orders']}
    """
    if service not in TARGETS + MACHINES:
        raise ValueError(f"service must be one of {TARGETS} or a machine of {MACHINES}, got {service!r}")
    replicas = service in MACHINES
    if fault not in FAULTS:
        raise ValueError(f"fault must be one of {tuple(FAULTS)}, got {fault!r}")
    duration = number("duration", duration, low=0.0, low_open=True)
    settle = number("settle", settle, low=0.0)
    window = duration + settle
    at = number("at", at, low=window)
    what = f"{fault} {service}" + (f" (+{delay * 1000:g} ms per handler)" if fault == "slow" else "")
    return {
        "version": "1.0.0",
        "title": (f"The replicated service survives {what} for {duration:g} s"
                  + ("" if loop else " (no healing loop)") if replicas else
                  f"Checkout survives {what} for {duration:g} s"),
        "description": f"{FAULTS[fault].capitalize()}. Hypothesis: users' requests fail at most "
                       f"{ERROR_TOLERANCE:.0%} of the time with a p99 of at most {LATENCY_TOLERANCE * 1000:g} ms, "
                       f"during the fault and {settle:g} s after it. Blast radius: {service} only, one fault, "
                       f"{duration:g} simulated seconds.",
        "tags": ["dsysedu", fault, service],
        "extensions": [{"name": BLAST_RADIUS, "services": [service]}],
        "configuration": {"lab": {"seed": seed, "warmup": at, **({"system": "replicas", "loop": bool(loop)}
                                                                 if replicas else {})}},
        "steady-state-hypothesis": {
            "title": "users' requests succeed" + (" and every replica serves" if replicas else " and stay fast"),
            "probes": [_probe("users' error ratio", "error_ratio", ERROR_TOLERANCE, window),
                       _serving_probe() if replicas else
                       _probe("users' p99 latency (s)", "latency_p99", LATENCY_TOLERANCE, window)]},
        "method": [_action(f"inject: {what} for {duration:g} s", "inject_fault", service=service, fault=fault,
                           duration=duration, delay=delay),
                   _action(f"let {window:g} s pass", "let_time_pass", seconds=window)],
        "rollbacks": [_action("end any fault still in force", "end_faults"),
                      _action(f"let {recovery:g} s pass to recover", "let_time_pass", seconds=recovery)],
    }


def run_fault(service: str = "orders", fault: str = "crash", at: float = 10.0, duration: float = 2.0,
              delay: float = 0.01, seed: int = 7, scenario=None, horizon: float = 45.0, loop: bool = True,
              **experiment_options):
    """Run :func:`fault_experiment` with Chaos Toolkit on a new lab; returns ``(lab, journal)``.

    ``scenario`` (a fault-free :func:`~dsysedu.ops.services.service_scenario`) replaces the
    default service system; ``experiment_options`` (``settle``, ``recovery``) go to the experiment.
    """
    experiment = fault_experiment(service, fault, at, duration, delay, seed, loop=loop, **experiment_options)
    system = "replicas" if service in MACHINES else "services"
    lab = ChaosLab(seed=seed, warmup=at, horizon=horizon, scenario=scenario, system=system, loop=loop)
    return lab, run_experiment(experiment, lab)


def outage_table(durations, seeds, service: str = "orders", fault: str = "crash", at: float = 12.0) -> pd.DataFrame:
    """For each fault duration and seed: what users saw over the hypothesis window, and the verdict.

    Columns: ``duration, seed, users' error ratio, users' p99 (ms), held``. The error ratio and
    p99 are measured over the experiment's window (the fault and ``SETTLE`` seconds after it),
    whichever probe Chaos Toolkit stopped at.
    """
    rows = []
    for d in durations:
        for seed in seeds:
            lab, journal = run_fault(service, fault, at=at, duration=d, seed=seed)
            m = window_measures(lab.spans(), CLIENT, at, at + d + SETTLE)
            rows.append({"duration": float(d), "seed": seed, "users' error ratio": m["error_ratio"],
                         "users' p99 (ms)": 1000 * m["p99"], "held": read_journal(journal).verdict().ok})
    return pd.DataFrame(rows)


def blast_radius_table(lab: ChaosLab, start: float, end: float) -> pd.DataFrame:
    """Service by service (and the users), what the requests that ended in ``(start, end]`` show.

    Rows: ``users`` then every service; columns ``requests, errors, error ratio, p99 (ms)``. A
    crashed or cut-off service serves nothing: its row shows 0 requests.
    """
    items = lab.spans()
    rows = {}
    for who in (CLIENT, *TARGETS):
        m = window_measures(items, who, start, end)
        rows["users" if who == CLIENT else who] = {"requests": m["requests"], "errors": m["errors"],
                                                   "error ratio": round(m["error_ratio"], 3),
                                                   "p99 (ms)": round(1000 * m["p99"], 1)}
    return pd.DataFrame.from_dict(rows, orient="index")


#: the alerts the chaos lab shows, rules of :mod:`dsysedu.ops.alerting` on the users' SLI frame (0.5 s windows):
#: a static threshold on the error ratio, and an EWMA baseline of the p99 (anomaly detection)
LAB_ALERT_RULES = (Threshold("error_ratio", above=0.05, hold=1.0, name="errors > 5 %"),
                   EWMAZScore("p99", alpha=0.1, z=4.0, warmup=4.0, floor=0.01, hold=0.5, name="p99 (EWMA)"))


def lab_alerts(trace, rules=LAB_ALERT_RULES, window: float = 0.5) -> list:
    """The alerts ``rules`` fire on the users' requests of a lab run: ``(fired, resolved, rule)``
    intervals, one still firing at the end of the run resolved there.

    The frame is :func:`~dsysedu.ops.chaos.user_series` in ``window``-second rows (the columns
    of :func:`~dsysedu.ops.alerting.sli_frame` that the rules read: ``end``, ``error_ratio``,
    ``p99``), so that it serves the replicated service too, whose client records no spans; the
    rules and :func:`~dsysedu.ops.alerting.alerts` are those of :mod:`dsysedu.ops.alerting`."""
    fired = alerts(user_series(trace, window, end=trace.end_time), rules)
    return [(float(f), float(r) if r == r else float(trace.end_time), rule)
            for rule, f, r in zip(fired["rule"], fired["fired"], fired["resolved"])]


def healing_actions(trace) -> list:
    """The reconciliation loop's decisions in a run of the replicated service: ``(time, text)`` for
    each worker marked unhealthy, replica rescheduled or restarted (none without the loop); the
    decisions of one tick (within 0.5 s) share one label."""
    out = []
    for t, kind, node, _p, _m, key, value in trace.rows:
        if kind != "observe" or node != CONTROLLER:
            continue
        if key == "health" and value[1] == "unhealthy":
            out.append((t, f"{value[0]} unhealthy"))
        elif key == "reschedule":
            out.append((t, f"move {value[0]} to {value[2]}"))
        elif key == "restart":
            out.append((t, f"restart {value[0]}"))
    merged = []                      # decisions of one tick share a label
    for t, text in out:
        if merged and t - merged[-1][0] < 0.5:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]}, {text}")
        else:
            merged.append((t, text))
    return merged

"""Automated runbooks (剧本): detect, diagnose, act, verify, as code, every step logged.

A :class:`Runbook` is what an on-call engineer's page says to do, written down so that a
program can do it:

1. **detect**: a paging alert fires (by default the two page rules of the SRE Workbook's
   burn-rate table, :func:`~dsysedu.ops.alerting.sre_workbook`);
2. **diagnose**: :func:`diagnose_incident` reads the spans of the last ``lookback`` seconds (only
   what had happened by then) and names a symptom and where it is: a service whose own work fails
   (``errors``), a service that does not answer and whose process is down (``down``: the health
   check an orchestrator has) or up (``unreachable``), a service whose own time grew (``slow``)
   or a link whose network time grew (``slow link``);
3. **act**: the remedy for that symptom (:data:`REMEDY_FOR`: ``rollback``, ``restart``,
   ``failover``, ``reroute``), ``act_after`` seconds later (the automation's latency);
4. **verify**: ``verify_after`` seconds later, the bad share of the last ``verify_window``
   seconds is below the page threshold, or the runbook escalates to a human.

Running it is a loop over deterministic runs (:func:`run_runbook`): run the scenario, find the first
page not handled yet, diagnose it on the trace *up to that time*, add the remedy to the scenario
at its time, and run again. A remedy changes nothing before it happens (see
:mod:`dsysedu.ops.incidents`), so every run agrees with the previous one up to the new action:
the result is the run the runbook would have produced acting live.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dsysedu.sim import run
from dsysedu.sim.validate import number, positive_int

from .alerting import alerts, sli_frame, sre_workbook
from .incidents import Remedy, incident_scenario, remedied
from .telemetry import spans as read_spans

__all__ = ["Diagnosis", "diagnose_incident", "Runbook", "RunbookResult", "run_runbook", "REMEDY_FOR", "LOG_STEPS"]

#: the remedy a runbook applies for each symptom
REMEDY_FOR = {"errors": "rollback", "down": "restart", "slow": "restart", "unreachable": "failover",
              "slow link": "reroute"}
LOG_STEPS = ("detect", "diagnose", "act", "verify")


@dataclass(frozen=True)
class Diagnosis:
    """A symptom, where it is (a service, or a ``(caller, callee)`` link) and what showed it."""
    symptom: str
    target: object
    evidence: str


def _union_length(intervals) -> float:
    total, end = 0.0, -np.inf
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def _is_down(trace, service, at: float) -> bool:
    down = False
    for t, kind, node, *_ in trace.rows:
        if t > at:
            break
        if node == service and kind in ("crash", "recover"):
            down = kind == "crash"
    return down


def diagnose_incident(trace, at: float, lookback: float = 10.0, items=None) -> Diagnosis | None:
    """What the spans of ``(at - lookback, at]`` say is wrong, or None if they show no one cause.

    Parameters
    ----------
    trace : Trace
        A run of the service system; only spans that ended by ``at`` are read (and the process
        status at ``at``, as a health check would see it).
    at : float
        The time of the diagnosis.
    lookback : float
        Seconds of spans to read (> 0). Times are compared by their 90th percentile, in the window
        and over everything before it (normal behaviour).
    items : list of Span, optional
        ``spans(trace)``, if already read.
    """
    at = number("at", at, low=0.0)
    lookback = number("lookback", lookback, low=0.0, low_open=True)
    items = read_spans(trace) if items is None else items
    known = [s for s in items if s.end <= at]
    window = [s for s in known if s.end > at - lookback]
    history = [s for s in known if s.end <= at - lookback]
    by_parent: dict = {}
    for s in items:
        if s.parent_id is not None:
            by_parent.setdefault(s.parent_id, []).append(s)
    # 1. a service whose own work fails
    worst = None
    for service in sorted({s.service for s in window if s.kind == "server"}):
        mine = [s for s in window if s.kind == "server" and s.service == service]
        failed = sum(s.message == "internal error" for s in mine)
        if failed >= 3 and failed / len(mine) >= 0.05 and (worst is None or failed / len(mine) > worst[1]):
            worst = (service, failed / len(mine), failed, len(mine))
    if worst:
        service, share, failed, n = worst
        return Diagnosis("errors", service, f"{failed} of {n} requests to {service} failed in its own work "
                                            f"({share:.0%}) in the last {lookback:g} s")
    # 2. a callee that does not answer
    timeouts: dict = {}
    for s in window:
        if s.kind == "client" and s.message.startswith("no answer from"):
            timeouts.setdefault(dict(s.attributes)["peer"], []).append(s)
    if timeouts:
        callee, calls = max(sorted(timeouts.items()), key=lambda kv: len(kv[1]))
        if len(calls) >= 3:
            arrived = sum(any(c.start <= at for c in by_parent.get(s.span_id, ())) for s in calls)
            if arrived < len(calls) / 2:
                if _is_down(trace, callee, at):
                    return Diagnosis("down", callee, f"{len(calls)} calls to {callee} got no answer, "
                                                     f"{arrived} reached it; the health check finds its process down")
                return Diagnosis("unreachable", callee, f"{len(calls)} calls to {callee} got no answer, {arrived} "
                                                        f"reached it; its process is up: the network does not reach it")
    # 3. a service or a link that got slow
    if not history:
        return None

    def own_time(s):
        kids = [(c.start, min(c.end, s.end)) for c in by_parent.get(s.span_id, ()) if c.kind == "client"]
        return s.duration - _union_length(kids)

    def network_time(s):
        kids = [c for c in by_parent.get(s.span_id, ()) if c.kind == "server" and c.end <= at]
        return s.duration - kids[0].duration if kids and s.status == "OK" else None

    candidates = []
    for label, pick, measure in (("slow", lambda s: s.kind == "server", own_time),
                                 ("slow link", lambda s: s.kind == "client", network_time)):
        groups: dict = {}
        for part, spans_ in (("now", window), ("before", history)):
            for s in spans_:
                if not pick(s) or s.service == "client":
                    continue
                key = s.service if label == "slow" else (s.service, dict(s.attributes)["peer"])
                value = measure(s)
                if value is not None:
                    groups.setdefault(key, {"now": [], "before": []})[part].append(value)
        for key, g in sorted(groups.items(), key=lambda kv: str(kv[0])):
            if len(g["now"]) >= 5 and g["before"]:
                now, before = float(np.quantile(g["now"], 0.9)), float(np.quantile(g["before"], 0.9))
                ratio = now / max(before, 1e-4)
                candidates.append((ratio, label, key, now, before))
    if not candidates:
        return None
    ratio, label, key, now, before = max(candidates, key=lambda c: c[0])
    if ratio < 3:
        return None
    what = f"{key[0]} -> {key[1]} network time" if label == "slow link" else f"{key}'s own time"
    return Diagnosis(label, key, f"{what}: p90 {now * 1e3:.1f} ms in the last {lookback:g} s against "
                                 f"{before * 1e3:.1f} ms before ({ratio:.0f}x)")


@dataclass(frozen=True)
class Runbook:
    """A runbook: which alerts start it, how far back it looks, how fast it acts and checks.

    Parameters
    ----------
    name : str
    rules : tuple of rules
        The alerts that start it (default: the page rules of ``sre_workbook(slo)``).
    slo : float
        The objective (for the default rules and the verify step's threshold).
    lookback : float
        Seconds of spans :func:`diagnose_incident` reads.
    act_after, verify_after : float
        Seconds from detection to action, and from action to the check that it worked.
    verify_window : float
        The check reads the bad share over this many seconds before it (<= ``verify_after``).
    cooldown : float
        Alerts that fire within ``cooldown`` seconds of a handled one belong to the same incident.
    """
    name: str = "restore the SLO"
    rules: tuple = ()
    slo: float = 0.99
    lookback: float = 10.0
    act_after: float = 1.0
    verify_after: float = 10.0
    verify_window: float = 5.0
    cooldown: float = 30.0
    remedy_for: dict = field(default_factory=lambda: dict(REMEDY_FOR))

    def __post_init__(self):
        if not self.rules:
            object.__setattr__(self, "rules", tuple(r for r in sre_workbook(self.slo) if r.severity == "page"))
        for label in ("lookback", "verify_after", "verify_window"):
            number(label, getattr(self, label), low=0.0, low_open=True)
        if self.verify_window > self.verify_after:
            raise ValueError(f"verify_window must be <= verify_after, got {self.verify_window} > {self.verify_after}")
        for label in ("act_after", "cooldown"):
            number(label, getattr(self, label), low=0.0)
        unknown = sorted(set(self.remedy_for) - set(REMEDY_FOR))
        if unknown:
            raise ValueError(f"remedy_for names unknown symptoms {unknown}; symptoms are {sorted(REMEDY_FOR)}")


@dataclass(frozen=True)
class RunbookResult:
    """What :func:`run_runbook` did.

    Attributes
    ----------
    log : DataFrame
        One row per step: ``time, step, saw, did`` (``step`` in :data:`LOG_STEPS`).
    remedies : tuple of Remedy
        The actions taken.
    trace : Trace
        The final run (with every action).
    frame : DataFrame
        Its SLI frame.
    impact : DataFrame
        Per incident: ``incident, start, end`` (as injected), ``ended`` (with the actions) and
        ``shortened_by`` (seconds).
    runs : int
        How many runs the loop took.
    """
    log: pd.DataFrame
    remedies: tuple
    trace: object = field(repr=False)
    frame: pd.DataFrame = field(repr=False)
    impact: pd.DataFrame = field(repr=False)
    runs: int = 0


def run_runbook(runbook: Runbook, incidents, seed, max_actions: int = 10, slow: float = 0.1,
                **scenario) -> RunbookResult:
    """Run ``runbook`` against ``incidents`` on the service system; see the module docstring.

    Parameters
    ----------
    runbook : Runbook
    incidents : sequence of Incident
    seed : int
        The runs' seed (every run of the loop uses it).
    max_actions : int
        At most this many actions (>= 1).
    slow : float
        The SLI's latency bound (see :func:`~dsysedu.ops.alerting.sli_frame`).
    **scenario
        Arguments of :func:`~dsysedu.ops.incidents.incident_scenario` (``duration``, ``rate``...).
    """
    if not isinstance(runbook, Runbook):
        raise TypeError(f"runbook must be a Runbook, got {runbook!r}")
    max_actions = positive_int("max_actions", max_actions)
    remedies: list = []
    log: list = []
    handled = -np.inf
    runs = 0
    while True:
        trace = run(incident_scenario(incidents, remedies, **scenario), seed=seed)
        runs += 1
        items = read_spans(trace)
        frame = sli_frame(items, slow=slow)
        fired = alerts(frame, runbook.rules)
        fired = fired[fired.fired > handled]
        if fired.empty or len(remedies) >= max_actions:
            break
        first = fired.iloc[0]
        t = float(first.fired)
        handled = t + runbook.cooldown
        log.append((t, "detect", f"{first.rule} fired", "opened an incident"))
        d = diagnose_incident(trace, t, runbook.lookback, items)
        if d is None or d.symptom not in runbook.remedy_for:
            log.append((t, "diagnose", f"no single cause in the last {runbook.lookback:g} s of spans",
                        "paged a human"))
            continue
        action = runbook.remedy_for[d.symptom]
        target = "->".join(d.target) if isinstance(d.target, tuple) else d.target
        log.append((t, "diagnose", d.evidence, f"symptom: {d.symptom} ({target})"))
        at = t + runbook.act_after
        remedies.append(Remedy(action, d.target, at))
        log.append((at, "act", f"runbook step for '{d.symptom}'", f"{action} {target}"))
    threshold = min(r.threshold for r in runbook.rules if hasattr(r, "threshold")) \
        if any(hasattr(r, "threshold") for r in runbook.rules) else 1.0 - runbook.slo
    for r in remedies:
        check = r.at + runbook.verify_after
        after = frame[(frame.end > check - runbook.verify_window) & (frame.end <= check)]
        share = after.bad.sum() / max(after.requests.sum(), 1)
        fine = share <= threshold
        log.append((check, "verify", f"bad share {share:.1%} over the last {runbook.verify_window:g} s "
                                     f"(page threshold {threshold:.1%})",
                    "closed the incident" if fine else "escalated to a human"))
    table = pd.DataFrame(sorted(log, key=lambda row: (row[0], LOG_STEPS.index(row[1]))),
                         columns=["time", "step", "saw", "did"])
    rows = []
    for before, after in zip(incidents, remedied(incidents, remedies)):
        rows.append((before.label, before.start, before.end, after.end, before.end - after.end))
    impact = pd.DataFrame(rows, columns=["incident", "start", "end", "ended", "shortened_by"])
    return RunbookResult(table, tuple(remedies), trace, frame, impact, runs)

"""Diagnosing an incident with and without traces (可观测性): how many steps to the cause?

The system is a fan-out of :class:`~dsysedu.ops.services.TracedService` nodes
(:func:`fanout_scenario`)::

    client ──▶ gateway ──┬──▶ svc0 ──▶ db0
                         ├──▶ svc1 ──▶ db1
                         ├──▶ svc2 ──▶ db0
                         └──▶ ...

and the incident is one slow node (a :class:`~dsysedu.sim.faults.Slow` fault, a gray failure).
An alert fires on the gateway's p99 latency. Two ways to find the cause:

* :func:`diagnose_by_metrics`: only per-service dashboards (RED metrics) and the architecture
  diagram. Open the alerting service's dashboard; while a service looks anomalous in the alert's
  window, open the dashboard of each service it calls; the cause is an anomalous service none of
  whose callees is anomalous. Latency propagates upward, so every caller of the slow node looks
  anomalous too, and each must be opened.
* :func:`diagnose_by_traces`: the alert's window (step 1), the slow traces in it (step 2), where
  their *self time* went, time not covered by children (step 3). A slow node often shows as
  long *client* spans whose server spans start late or never (requests wait in its queue, or
  its own sends leave late): then one comparison across callers and callees says which end
  of the call is slow (step 4).

Each returns a :class:`Triage`: the culprit, the steps (dashboards or views opened) and the
path taken. :func:`diagnosis_table` runs both on systems of growing width.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.faults import Slow
from dsysedu.sim.kernel import run
from dsysedu.sim.network import LinkModel
from dsysedu.sim.scenario import Scenario
from dsysedu.sim.validate import number, positive_int

from .services import GATEWAY, CLIENT, LoadClient, TracedService
from .telemetry import red_metrics, spans

__all__ = ["fanout_topology", "fanout_scenario", "Triage", "diagnose_by_metrics", "diagnose_by_traces",
           "self_times", "diagnosis_table"]


def fanout_topology(width: int = 4, shards: int = 2) -> dict:
    """Who calls whom: the gateway calls ``width`` services, service ``i`` calls database ``i % shards``."""
    width = positive_int("width", width, high=64)
    shards = positive_int("shards", shards, high=width)
    topo = {CLIENT: (GATEWAY,), GATEWAY: tuple(f"svc{i}" for i in range(width))}
    topo.update({f"svc{i}": (f"db{i % shards}",) for i in range(width)})
    topo.update({f"db{j}": () for j in range(shards)})
    return topo


def fanout_scenario(width: int = 4, shards: int = 2, culprit: str = "db0", delay: float = 0.05, at: float = 4.0,
                    until: float = 6.0, rate: float = 20.0, duration: float = 10.0) -> Scenario:
    """The fan-out system, ``culprit`` slow by ``delay`` seconds per handler from ``at`` to ``until``.

    Every service works 2 ms on average (exponential), links take 1 ms, calls time out after
    0.5 s with two retries.
    """
    topo = fanout_topology(width, shards)
    if culprit not in topo or culprit == CLIENT:
        raise ValueError(f"culprit must be a service of the system, one of {sorted(set(topo) - {CLIENT})}; "
                         f"got {culprit!r}")
    number("delay", delay, low=0.0, low_open=True)
    rate = number("rate", rate, low=0.0, low_open=True)
    duration = number("duration", duration, low=0.0, low_open=True)
    if not 0 <= at < until <= duration:
        raise ValueError(f"the incident must lie inside the run: 0 <= at < until <= duration, got {at}, {until}")
    params = {v: {"calls": calls, "work": 0.002} for v, calls in topo.items()}
    params[CLIENT].update(rate=rate, stop=duration, work=0.0)
    protocol = {v: LoadClient if v == CLIENT else TracedService for v in topo}
    return Scenario(protocol, nodes=list(topo), params={"timeout": 0.5, "retries": 2}, node_params=params,
                    link=LinkModel(latency=0.001), faults=[Slow(culprit, at=at, delay=delay, until=until)],
                    until=duration + 3.0, name=f"fan-out of {width}, {culprit} slow")


@dataclass(frozen=True)
class Triage:
    """What a diagnosis concluded: ``culprit`` (a service), ``steps`` taken and the ``path`` of what was opened."""
    method: str
    culprit: str | None
    steps: int
    path: tuple


def _alert_window(red: pd.DataFrame, alert: str) -> tuple:
    mine = red[red.service == alert]
    i = int(np.nanargmax(mine.p99.to_numpy()))
    return float(mine.start.iloc[i]), float(mine.end.iloc[i])


def _anomalous(red: pd.DataFrame, service: str, window: tuple, factor: float) -> bool:
    mine = red[red.service == service]
    base = float(np.nanmedian(mine.p99.to_numpy()))
    now = mine[mine.start == window[0]].p99
    return bool(len(now) and now.iloc[0] > factor * base)


def diagnose_by_metrics(trace, topology: dict, alert: str = GATEWAY, window: float = 1.0,
                        factor: float = 2.0) -> Triage:
    """Walk the dashboards down the call graph from ``alert`` (see the module docstring).

    A service is anomalous when its p99 in the alert's window exceeds ``factor`` times the
    median of its p99 over the run's windows. Callees are opened in sorted order, each once.
    """
    number("factor", factor, low=1.0)
    red = red_metrics(trace, window)
    win = _alert_window(red, alert)
    opened, suspects, stack = [alert], [], [alert]
    seen = {alert}
    while stack:
        service = stack.pop(0)
        if not _anomalous(red, service, win, factor):
            continue
        hot = []
        for callee in sorted(topology.get(service, ())):
            if callee not in seen:
                seen.add(callee)
                opened.append(callee)
            if _anomalous(red, callee, win, factor):
                hot.append(callee)
        if not hot:
            suspects.append(service)
        stack.extend(h for h in hot if h not in stack)
    culprit = suspects[0] if len(suspects) == 1 else None
    return Triage("metrics", culprit, len(opened), tuple(opened))


def self_times(trace_spans) -> dict:
    """Span id -> its duration minus the time it spent waiting for its children.

    A call retried to the same peer counts from its first attempt's start to its last attempt's
    end (the backoff sleep between attempts is waiting for that peer, not work); calls in
    parallel are merged.
    """
    children: dict = {}
    for s in trace_spans:
        children.setdefault(s.parent_id, []).append(s)
    out = {}
    for s in trace_spans:
        by_peer: dict = {}
        for c in children.get(s.span_id, []):
            peer = dict(c.attributes).get("peer", c.span_id)
            lo, hi = by_peer.get(peer, (c.start, c.end))
            by_peer[peer] = (min(lo, c.start), max(hi, c.end))
        covered, end = 0.0, s.start
        for lo, hi in sorted(by_peer.values()):
            lo, hi = max(lo, end), min(hi, s.end)
            if hi > lo:
                covered += hi - lo
                end = hi
        out[s.span_id] = s.duration - covered
    return out


def diagnose_by_traces(trace, alert: str = GATEWAY, window: float = 1.0, factor: float = 3.0) -> Triage:
    """From the alert to the cause through the traces (see the module docstring).

    1. the alert's window (the gateway's worst p99);
    2. the traces whose gateway request ended in that window and took longer than the run's
       median p99 (a trace search, as in Jaeger or Tempo);
    3. their spans' self time summed by (service, kind, peer): the top group is where the time went;
    4. only if the top group is a *client* group (caller C waiting on peer P: P's queue, the
       network, or C's own slow sends), one comparison across all spans of the window: if C's
       calls to its other peers are slow too and P's other callers' calls are not, C is the
       culprit; otherwise P. "Slow" is a mean self time above ``factor`` times the median self
       time of all client spans in the window.
    """
    number("factor", factor, low=1.0)
    red = red_metrics(trace, window)
    win = _alert_window(red, alert)
    every = spans(trace)
    gateway = red[red.service == alert]
    base = float(np.nanmedian(gateway.p99.to_numpy()))
    slow_ids = {s.trace_id for s in every if s.kind == "server" and s.service == alert
                and win[0] <= s.end < win[1] and s.duration > base}
    if not slow_ids:
        return Triage("traces", None, 2, (f"alert on {alert}", "no slow trace"))
    by_trace: dict = {}
    for s in every:
        if s.trace_id in slow_ids:
            by_trace.setdefault(s.trace_id, []).append(s)
    groups: dict = {}
    for spans_of_one in by_trace.values():
        own = self_times(spans_of_one)
        for s in spans_of_one:
            key = (s.service, s.kind, dict(s.attributes).get("peer") if s.kind == "client" else None)
            groups[key] = groups.get(key, 0.0) + own[s.span_id]
    (service, kind, peer), _ = max(groups.items(), key=lambda kv: (kv[1], str(kv[0])))
    path = [f"alert on {alert} at {win[0]:g}-{win[1]:g} s", f"{len(slow_ids)} slow traces",
            f"most self time: {kind} spans of {service}" + (f" calling {peer}" if peer else "")]
    if kind != "client":
        return Triage("traces", service, 3, tuple(path))
    client = [s for s in every if s.kind == "client" and win[0] <= s.end < win[1]]
    own = {}
    for tid in {s.trace_id for s in client}:
        own.update(self_times([s for s in every if s.trace_id == tid]))
    typical = float(np.median([own[s.span_id] for s in client]))

    def slow(spans_):
        return bool(spans_) and float(np.mean([own[s.span_id] for s in spans_])) > factor * typical

    def peer_of(s):
        return dict(s.attributes).get("peer")

    caller_elsewhere = slow([s for s in client if s.service == service and peer_of(s) != peer])
    others_to_peer = slow([s for s in client if s.service != service and peer_of(s) == peer])
    culprit = service if caller_elsewhere and not others_to_peer else peer
    path.append(f"{service} slow to its other peers: {caller_elsewhere}; others slow to {peer}: {others_to_peer}")
    return Triage("traces", culprit, 4, tuple(path))


def diagnosis_table(widths=(2, 4, 8, 12), culprits=("db0", "svc1"), seed=0) -> pd.DataFrame:
    """Both methods on each width and culprit: ``width, culprit, method, found, steps``."""
    rows = []
    for width in widths:
        topo = fanout_topology(width)
        for culprit in culprits:
            trace = run(fanout_scenario(width, culprit=culprit), seed=seed)
            for d in (diagnose_by_metrics(trace, topo), diagnose_by_traces(trace)):
                rows.append({"width": width, "culprit": culprit, "method": d.method, "found": d.culprit,
                             "right": d.culprit == culprit, "steps": d.steps})
    return pd.DataFrame(rows)

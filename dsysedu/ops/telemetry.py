"""The three signals (指标/日志/追踪) read back from a run of :mod:`dsysedu.ops.services`.

* :func:`spans`: every span (跨度) with its trace id, id, parent, service, kind, start and end in
  simulated seconds, status and attributes. A span left open by a crash ends at the crash with
  status ``ERROR``; one still open when the run stopped ends there, ``UNSET``, ``finished=False``.
* :func:`logs`: the structured logs (结构化日志), each carrying the trace and span id it belongs to.
* :func:`red_metrics`: RED metrics (rate, errors, duration) per service and time window, from
  the *server* spans, counted when they end (as a Prometheus counter would be).
* :func:`correlate`: the walk an on-call engineer takes, from a latency spike in one service's
  metric to the slow traces in that window to their logs.

Duration histograms use fixed buckets, :data:`DURATION_BUCKETS`: the default buckets of the
Prometheus client libraries (``prometheus_client.Histogram.DEFAULT_BUCKETS``, 5 ms to 10 s).
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.validate import number

__all__ = ["Span", "spans", "spans_frame", "logs", "red_metrics", "red_totals", "waterfall", "Correlation",
           "correlate", "DURATION_BUCKETS", "SPAN_COLUMNS", "LOG_COLUMNS"]

#: upper bounds (seconds) of the duration histogram's buckets; +Inf is implied
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
SPAN_COLUMNS = ("trace_id", "span_id", "parent_id", "name", "service", "kind", "start", "end", "duration",
                "status", "message", "finished")
LOG_COLUMNS = ("time", "service", "level", "trace_id", "span_id", "message")


@dataclass(frozen=True)
class Span:
    """One span: times in simulated seconds; ``status`` is ``OK``, ``ERROR`` or ``UNSET``."""
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    kind: str
    start: float
    end: float
    status: str
    message: str
    attributes: tuple
    finished: bool = True

    @property
    def duration(self) -> float:
        return self.end - self.start


def spans(trace) -> list[Span]:
    """Every span of the run, in the order they started (ties: the order they were recorded)."""
    starts, ends, crashes = [], {}, {}
    for t, kind, node, _p, _m, key, value in trace.rows:
        if kind == "observe":
            if key == "span_start":
                starts.append(value)
            elif key == "span_end":
                ends[value[0]] = (t, value[1], value[2])
        elif kind == "crash":
            crashes.setdefault(node, []).append(t)
    out = []
    for trace_id, sid, parent, name, kind, start, attrs in starts:
        service = dict(attrs)["service"]
        if sid in ends:
            end, status, message = ends[sid]
            out.append(Span(trace_id, sid, parent, name, service, kind, start, end, status, message, attrs))
            continue
        times = crashes.get(service, [])
        i = bisect_left(times, start)
        if i < len(times):
            out.append(Span(trace_id, sid, parent, name, service, kind, start, times[i], "ERROR",
                            f"{service} crashed", attrs, False))
        else:
            out.append(Span(trace_id, sid, parent, name, service, kind, start, max(trace.end_time, start), "UNSET",
                            "still open when the run stopped", attrs, False))
    return out


def _as_spans(source) -> list[Span]:
    return spans(source) if hasattr(source, "rows") else list(source)


def spans_frame(source) -> pd.DataFrame:
    """The spans of a trace (or a list of :class:`Span`) as a DataFrame with :data:`SPAN_COLUMNS`."""
    rows = [(s.trace_id, s.span_id, s.parent_id, s.name, s.service, s.kind, s.start, s.end, s.duration, s.status,
             s.message, s.finished) for s in _as_spans(source)]
    return pd.DataFrame(rows, columns=list(SPAN_COLUMNS))


def logs(trace) -> pd.DataFrame:
    """Structured logs: one row per line with :data:`LOG_COLUMNS`, in time order."""
    rows = [(t, node, v[0], v[1], v[2], v[3]) for t, kind, node, _p, _m, key, v in trace.rows
            if kind == "observe" and key == "log"]
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS))


def _server(source, service=None) -> list[Span]:
    """Server spans that ended (or were cut by a crash), optionally of one service."""
    return [s for s in _as_spans(source) if s.kind == "server" and (s.finished or s.status == "ERROR")
            and (service is None or s.service == service)]


def red_totals(source, buckets=DURATION_BUCKETS) -> dict:
    """Per service, over the whole run: ``requests``, ``errors``, duration ``sum`` and cumulative ``buckets``.

    ``buckets`` holds, for each upper bound of ``buckets`` and then +Inf, the number of requests
    that took at most that long (the shape of a Prometheus histogram). Server spans only; a span
    cut by a crash counts as an error, one still open at the end of the run is not counted.
    """
    bounds = _check_buckets(buckets)
    out: dict = {}
    for s in _server(source):
        d = out.setdefault(s.service, {"requests": 0, "errors": 0, "sum": 0.0, "durations": []})
        d["requests"] += 1
        d["errors"] += s.status == "ERROR"
        d["sum"] += s.duration
        d["durations"].append(s.duration)
    for d in out.values():
        durations = np.sort(np.array(d.pop("durations")))
        d["buckets"] = [int(np.searchsorted(durations, b, side="right")) for b in bounds] + [len(durations)]
    return dict(sorted(out.items()))


def _check_buckets(buckets) -> tuple:
    b = tuple(float(x) for x in buckets)
    if not b or any(x <= 0 for x in b) or any(y <= x for x, y in zip(b, b[1:])):
        raise ValueError(f"buckets must be positive upper bounds in increasing order, got {buckets!r}")
    return b


def red_metrics(source, window: float = 1.0) -> pd.DataFrame:
    """RED metrics per service and window of ``window`` seconds, counted at each request's end.

    Columns: ``service, start, end, requests, rate`` (per second), ``errors, error_ratio, p50, p99,
    max`` (durations in seconds; NaN in a window without requests). Every window from 0 to the
    last request's end is present for every service.
    """
    window = number("window", window, low=0.0, low_open=True)
    server = _server(source)
    if not server:
        return pd.DataFrame(columns=["service", "start", "end", "requests", "rate", "errors", "error_ratio", "p50",
                                     "p99", "max"])
    n = int(max(s.end for s in server) // window) + 1
    rows = []
    for service in sorted({s.service for s in server}):
        mine = [s for s in server if s.service == service]
        idx = np.array([int(s.end // window) for s in mine])
        dur = np.array([s.duration for s in mine])
        err = np.array([s.status == "ERROR" for s in mine])
        for w in range(n):
            sel = idx == w
            k = int(sel.sum())
            d = dur[sel]
            rows.append({"service": service, "start": w * window, "end": (w + 1) * window, "requests": k,
                         "rate": k / window, "errors": int(err[sel].sum()),
                         "error_ratio": float(err[sel].mean()) if k else float("nan"),
                         "p50": float(np.quantile(d, 0.5)) if k else float("nan"),
                         "p99": float(np.quantile(d, 0.99)) if k else float("nan"),
                         "max": float(d.max()) if k else float("nan")})
    return pd.DataFrame(rows)


def waterfall(source, trace_id: str) -> pd.DataFrame:
    """One trace's spans in depth-first order with their ``depth`` (the rows of a waterfall view)."""
    mine = [s for s in _as_spans(source) if s.trace_id == trace_id]
    if not mine:
        raise ValueError(f"no span has trace id {trace_id!r}")
    children: dict = {}
    for s in mine:
        children.setdefault(s.parent_id, []).append(s)
    ids = {s.span_id for s in mine}
    roots = [s for s in mine if s.parent_id is None or s.parent_id not in ids]
    rows = []

    def visit(s, depth):            # a trace is a tree of at most a few hundred spans: recursion is fine
        rows.append((depth, s))
        for c in sorted(children.get(s.span_id, []), key=lambda c: (c.start, c.span_id)):
            visit(c, depth + 1)

    for r in sorted(roots, key=lambda r: (r.start, r.span_id)):
        visit(r, 0)
    frame = spans_frame([s for _, s in rows])
    frame.insert(0, "depth", [d for d, _ in rows])
    return frame


@dataclass(frozen=True)
class Correlation:
    """The result of :func:`correlate`.

    Attributes
    ----------
    service : str
        The service whose latency was looked at.
    window : tuple of float
        ``(start, end)`` of the window with the highest p99 latency.
    spike_p99, baseline_p99 : float
        That window's p99, and the median of the p99 over the service's windows.
    trace_ids : tuple of str
        The traces whose request to ``service`` ended in the window and took longer than the
        baseline p99, slowest first.
    spans, logs : DataFrame
        Every span and every log line of those traces (from every service), in time order.
    """
    service: str
    window: tuple
    spike_p99: float
    baseline_p99: float
    trace_ids: tuple
    spans: pd.DataFrame
    logs: pd.DataFrame


def correlate(trace, service: str, window: float = 1.0) -> Correlation:
    """From a latency spike in ``service``'s metrics to the slow traces in that window to their logs.

    Raises ValueError if ``service`` served no request in the run.
    """
    red = red_metrics(trace, window)
    mine = red[red["service"] == service] if len(red) else red
    if not len(mine) or mine["requests"].sum() == 0:
        served = sorted(set(red["service"])) if len(red) else []
        raise ValueError(f"service {service!r} served no request in this run; services that did: {served}")
    p99 = mine["p99"].to_numpy()
    spike = int(np.nanargmax(p99))
    baseline = float(np.nanmedian(p99))
    t0, t1 = float(mine["start"].iloc[spike]), float(mine["end"].iloc[spike])
    all_spans = spans(trace)
    slow = sorted((s for s in all_spans if s.kind == "server" and s.service == service and t0 <= s.end < t1
                   and s.duration > baseline), key=lambda s: (-s.duration, s.trace_id))
    ids = tuple(dict.fromkeys(s.trace_id for s in slow))
    chosen = set(ids)
    frame = spans_frame([s for s in all_spans if s.trace_id in chosen]).sort_values(["start", "span_id"],
                                                                                     kind="stable")
    log = logs(trace)
    return Correlation(service, (t0, t1), float(p99[spike]), baseline, ids, frame.reset_index(drop=True),
                       log[log["trace_id"].isin(chosen)].reset_index(drop=True))

"""Reading a run of callers and queue servers: latency percentiles, goodput, load and queues.

The nodes of :mod:`~dsysedu.systems.resilience.overload` (and the balancers of
:mod:`~dsysedu.systems.discovery.balancing`) observe what happened; the functions here turn a trace
into numbers and tables. :func:`traffic_record` reads the trace once (and keeps the last trace's
record, so that a dashboard's measures and view share one pass).
"""
from __future__ import annotations

import weakref

import numpy as np

from .overload import OUTCOMES, Request

__all__ = ["traffic_record", "request_rows", "traffic_summary", "goodput_series", "offered_rate", "slow_servers",
           "queue_series"]

_CACHE: list = [None, None]     # (weak reference to the last trace read, its record)


def traffic_record(trace) -> dict:
    """What the readers below need, from one pass over the trace (the last trace's is kept).

    Returns a dict: ``requests`` (the ``request`` observations' values, with the caller in front),
    ``arrivals`` (times an attempt reached a server), ``queue`` ((time, server, length) samples),
    ``rate`` (caller -> rate), ``service`` (server -> mean service time) and ``starts`` (times
    callers sent a request's first attempt).
    """
    ref, record = _CACHE
    if ref is not None and ref() is trace and record["rows"] == len(trace.rows):
        return record
    requests, arrivals, queue, rate, service, firsts = [], [], [], {}, {}, []
    # the row's fields by the names of the table in dsysedu.sim.trace (unpacked: no TraceEvent per row)
    for time, kind, node, _peer, _msg_id, data, value in trace.rows:
        if kind == "observe":
            if data == "request":
                requests.append((node, *value))
            elif data == "queue":
                queue.append((time, node, value))
            elif data == "rate":
                rate[node] = value
            elif data == "service":
                service[node] = value
        elif kind == "deliver" and type(data) is Request:
            arrivals.append(time)
        elif kind == "send" and type(data) is Request and data.attempt == 0:
            firsts.append((time, node))
    starts = np.array([t for t, node in firsts if node in rate])     # first attempts sent by callers
    record = {"rows": len(trace.rows), "requests": requests, "arrivals": np.array(arrivals), "queue": queue,
              "rate": rate, "service": service, "starts": starts}
    _CACHE[:] = [weakref.ref(trace), record]
    return record


def request_rows(trace):
    """The ``request`` observations as a DataFrame: caller, rid, start, latency, outcome, attempts."""
    import pandas as pd
    return pd.DataFrame(traffic_record(trace)["requests"],
                        columns=["caller", "rid", "start", "latency", "outcome", "attempts"])


def traffic_summary(trace, since: float = 0.0, until: float | None = None) -> dict:
    """Requests that started in ``[since, until)``: count, outcomes, latency percentiles (seconds;
    a request that failed counts with the time it took to fail: a timeout's is long), goodput
    (answered per second), attempts per request, the load the servers saw (attempts delivered per
    second), and ``unfinished``: requests sent in the window and not answered when the run ended
    (a caller without a timeout may wait for ever).

    Examples
    --------
    >>> from dsysedu.sim import run
    >>> from dsysedu.systems.resilience.overload import offered_load_scenario
    >>> s = traffic_summary(run(offered_load_scenario(50.0, False), seed=1), since=2.0)
    >>> 45 < s["goodput"] < 55
    True
    """
    until = trace.end_time if until is None else until
    span = max(until - since, 1e-9)
    record = traffic_record(trace)
    rows = [r for r in record["requests"] if since <= r[2] < until]
    every = np.array([r[3] for r in rows])      # a failed request counts with the time it took to fail
    arrivals = record["arrivals"]
    out = {"requests": len(rows), **{o: sum(r[4] == o for r in rows) for o in OUTCOMES}}
    for name, q in (("p50", 50), ("p99", 99), ("p99.9", 99.9)):
        out[name] = float(np.percentile(every, q)) if len(every) else float("nan")
    out["goodput"] = out["ok"] / span
    out["attempts per request"] = sum(r[5] for r in rows) / max(1, len(rows))
    out["server load"] = int(np.count_nonzero((arrivals >= since) & (arrivals < until))) / span
    starts = record["starts"]
    sent = int(np.count_nonzero((starts >= since) & (starts < until)))
    out["unfinished"] = sent - sum(1 for r in rows if r[5] > 0)
    return out


def goodput_series(trace, step: float = 0.5):
    """Per ``step`` seconds (by answer time): requests answered ok per second, and attempts the
    servers received per second; a DataFrame indexed by the bin's start."""
    import pandas as pd
    record = traffic_record(trace)
    bins = np.arange(0.0, trace.end_time + step, step)
    ok = [r[2] + r[3] for r in record["requests"] if r[4] == "ok"]
    g = np.histogram(ok, bins)[0] / step
    a = np.histogram(record["arrivals"], bins)[0] / step
    return pd.DataFrame({"goodput": g, "server load": a}, index=pd.Index(bins[:-1], name="time (s)"))


def offered_rate(trace) -> float:
    """Requests per second that the run's callers offer (the sum of their ``rate``)."""
    return float(sum(traffic_record(trace)["rate"].values()))


def slow_servers(trace) -> tuple:
    """The servers whose mean service time is above the fastest one's."""
    service = traffic_record(trace)["service"]
    fastest = min(service.values(), default=0.0)
    return tuple(sorted(n for n, v in service.items() if v > fastest))


def queue_series(trace):
    """Each server's sampled queue length over time: a DataFrame, one column per server."""
    import pandas as pd
    rows = traffic_record(trace)["queue"]
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows, columns=["time", "server", "queue"])
    return df.pivot_table(index="time", columns="server", values="queue", aggfunc="last")

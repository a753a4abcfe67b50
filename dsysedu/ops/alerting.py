"""Alerting (告警): rules over a run's metrics, the alerts they fire, and how well they do per incident.

The one shape every detector reads is an *SLI frame*: one row per time window with the columns
``start, end, requests, errors, slow, bad, error_ratio, bad_ratio, rate, p50, p99`` (``bad`` =
errors + slow answers: what an SLO counts against its error budget). :func:`sli_frame` builds it
from a run of :mod:`dsysedu.ops.services`; any DataFrame with ``end`` and the columns a rule
reads will do (``red_metrics`` of one service, say, with ``BurnRate(..., bad="errors")``).

A rule says, per window, whether it is *firing*; the value a window shows is known at its
``end``, so that is when the rule can fire. :func:`alerts` turns the firing windows of each rule
into alert events: ``fired`` (the end of the first firing window) and ``resolved``.

Rules
-----
:class:`Threshold`
    a static threshold on one column, optionally held for some time (Prometheus' ``for:``).
:class:`BurnRate`
    a multi-window burn-rate alert: the share of bad requests over a long *and* a short window
    both above ``factor`` times the error budget ``1 - slo``. :func:`sre_workbook` gives the
    three rules of the SRE Workbook's table [1]_ (14.4x over 1 h and 5 min: page; 6x over 6 h
    and 30 min: page; 1x over 3 d and 6 h: ticket). Simulated time is *scaled*: with
    ``scale=60`` one simulated second stands for one minute, so "1 h" is 60 simulated seconds;
    every window shrinks by the same factor, so the table's ratios (and the share of the budget
    each rule lets burn before it fires) are the book's.
:class:`~dsysedu.ops.anomaly.EWMAZScore` (in :mod:`dsysedu.ops.anomaly`)
    an exponentially weighted baseline (mean and variance) of one column; fires when a window
    lies more than ``z`` deviations above it. The baseline stops learning while the rule fires,
    so an incident is not absorbed into "normal".
:class:`~dsysedu.ops.anomaly.IsolationForestRule` (in :mod:`dsysedu.ops.anomaly`)
    scikit-learn's ``IsolationForest`` fitted on the windows of a training span (assumed
    normal) and asked about every window; fires on the windows it calls outliers.

Scoring is per incident, not per point: :func:`score` counts an alert as a true positive when
it fires inside an incident's window extended by a ``grace`` period, an incident as detected
when at least one alert does, and its *time to detect* from the incident's start to the first
such alert. Point-adjusted scoring (every point of an incident counts as found once any point
is) makes even random detectors look good [2]_, and it rewards an alert that comes when the
incident is over; an on-call engineer cares about the first page and about pages with no
incident behind them.

References
----------
.. [1] Beyer, Murphy, Rensin, Kawahara, Thorne (eds.), *The Site Reliability Workbook*,
   O'Reilly 2018, chapter 5 "Alerting on SLOs", table 5-8 (recommended parameters).
.. [2] Kim, Choi, Choi, Lee, Yoon, "Towards a Rigorous Evaluation of Time-Series Anomaly
   Detection", AAAI 2022.

Examples
--------
>>> from dsysedu.sim import run
>>> from dsysedu.ops.incidents import Incident, incident_scenario
>>> crash = Incident("crash", "inventory", 100.0, 130.0)
>>> frame = sli_frame(run(incident_scenario([crash], duration=200.0), seed=1))
>>> fired = alerts(frame, sre_workbook(slo=0.99))
>>> score(fired, [crash]).recall
1.0
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dsysedu.sim.validate import number

from .telemetry import _as_spans

__all__ = ["sli_frame", "Threshold", "BurnRate", "sre_workbook", "burn_rate_table", "alerts",
           "score", "Score", "compare", "SRE_WORKBOOK", "SLI_COLUMNS", "ALERT_COLUMNS"]

SLI_COLUMNS = ("start", "end", "requests", "errors", "slow", "bad", "error_ratio", "bad_ratio", "rate", "p50", "p99")
ALERT_COLUMNS = ("rule", "severity", "fired", "resolved")
#: (long window, short window, burn-rate factor, severity), windows in real seconds: the SRE Workbook's table 5-8
SRE_WORKBOOK = ((3600.0, 300.0, 14.4, "page"), (21600.0, 1800.0, 6.0, "page"), (259200.0, 21600.0, 1.0, "ticket"))
_SEVERITIES = ("page", "ticket")


def sli_frame(source, window: float = 1.0, slow: float = 0.1, service: str | None = None) -> pd.DataFrame:
    """Requests, errors and slow answers per window: the frame every rule of this module reads.

    Parameters
    ----------
    source : Trace or list of Span
        A run of :mod:`dsysedu.ops.services` (or its spans).
    window : float
        Seconds per row (> 0). Rows cover 0 to the last request's end, empty windows included.
    slow : float
        A request that took longer than ``slow`` seconds counts as ``slow`` (and ``bad``) even
        when it succeeded: the latency half of the SLI.
    service : str, optional
        Count the *server* spans of this service. Default: the users' requests, that is the
        root spans the load client starts (one per request, whatever the retries below).

    Returns
    -------
    DataFrame with :data:`SLI_COLUMNS`; ``rate`` is requests per second; ratios and
    percentiles are NaN in a window without requests.
    """
    window = number("window", window, low=0.0, low_open=True)
    slow = number("slow", slow, low=0.0, low_open=True)
    items = _as_spans(source)
    if service is None:
        mine = [s for s in items if s.parent_id is None and (s.finished or s.status == "ERROR")]
    else:
        mine = [s for s in items if s.kind == "server" and s.service == service and (s.finished or s.status == "ERROR")]
        if not mine:
            served = sorted({s.service for s in items if s.kind == "server"})
            raise ValueError(f"service {service!r} served no request in this run; services that did: {served}")
    if not mine:
        return pd.DataFrame(columns=list(SLI_COLUMNS))
    ends = np.array([s.end for s in mine])
    dur = np.array([s.duration for s in mine])
    err = np.array([s.status == "ERROR" for s in mine])
    slw = (dur > slow) & ~err
    idx = (ends // window).astype(int)
    n = int(idx.max()) + 1
    requests = np.bincount(idx, minlength=n)
    errors = np.bincount(idx, weights=err, minlength=n).astype(int)
    slows = np.bincount(idx, weights=slw, minlength=n).astype(int)
    order = np.argsort(idx, kind="stable")
    bounds = np.searchsorted(idx[order], np.arange(n + 1))
    sorted_dur = dur[order]
    p50, p99 = np.full(n, np.nan), np.full(n, np.nan)
    for w in np.flatnonzero(requests):
        d = sorted_dur[bounds[w]:bounds[w + 1]]
        p50[w], p99[w] = np.quantile(d, 0.5), np.quantile(d, 0.99)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame({"start": np.arange(n) * window, "end": (np.arange(n) + 1) * window,
                              "requests": requests, "errors": errors, "slow": slows, "bad": errors + slows,
                              "error_ratio": np.where(requests > 0, errors / requests, np.nan),
                              "bad_ratio": np.where(requests > 0, (errors + slows) / requests, np.nan),
                              "rate": requests / window, "p50": p50, "p99": p99})
    return frame


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        raise ValueError(f"the frame has no column {name!r}; its columns are {list(frame.columns)}")
    return frame[name].to_numpy(dtype=float)


def _hold(firing: np.ndarray, ends: np.ndarray, hold: float) -> np.ndarray:
    """Firing only once the condition has held for ``hold`` seconds (Prometheus' ``for:``)."""
    if hold <= 0:
        return firing
    out = np.zeros_like(firing)
    since = None
    for i, f in enumerate(firing):
        if not f:
            since = None
            continue
        if since is None:
            since = ends[i - 1] if i else ends[i] - (ends[1] - ends[0] if len(ends) > 1 else 0.0)
        out[i] = ends[i] - since >= hold - 1e-9
    return out


def _check_common(rule) -> None:
    if rule.severity not in _SEVERITIES:
        raise ValueError(f"severity must be one of {_SEVERITIES}, got {rule.severity!r}")
    number("hold", rule.hold, low=0.0)


@dataclass(frozen=True)
class Threshold:
    """Fire while ``column`` is above ``above`` (for at least ``hold`` seconds).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"end": [1.0, 2.0, 3.0, 4.0], "p99": [0.02, 0.4, 0.5, 0.03]})
    >>> Threshold("p99", above=0.25).firing(frame).tolist()
    [False, True, True, False]
    """
    column: str
    above: float
    hold: float = 0.0
    severity: str = "page"
    name: str = ""

    def __post_init__(self):
        number("above", self.above)
        _check_common(self)
        if not self.name:
            object.__setattr__(self, "name", f"{self.column} > {self.above:g}")

    def firing(self, frame: pd.DataFrame) -> np.ndarray:
        values = _column(frame, self.column)
        return _hold(np.nan_to_num(values, nan=-np.inf) > self.above, _column(frame, "end"), self.hold)


def _trailing(values: np.ndarray, k: int) -> np.ndarray:
    """Sum of the last ``k`` values at each index (fewer at the start: what a young series has)."""
    c = np.concatenate([[0.0], np.cumsum(values)])
    i = np.arange(1, len(values) + 1)
    return c[i] - c[np.maximum(i - k, 0)]


@dataclass(frozen=True)
class BurnRate:
    """Fire while the bad share over ``long`` *and* over ``short`` exceeds ``factor * (1 - slo)``.

    Parameters
    ----------
    slo : float
        The objective, a share of good requests in (0, 1), e.g. 0.99.
    long, short : float
        Window lengths in *real* seconds (3600 = 1 h); the rule reads ``long / scale`` and
        ``short / scale`` simulated seconds, rounded to whole frame windows (at least one).
    factor : float
        The burn rate (> 0): 1 spends the budget exactly over the SLO period.
    scale : float
        Real seconds one simulated second stands for (60: a simulated second is a minute).
    bad, total : str
        The frame's columns of bad and of all requests.
    """
    slo: float
    long: float
    short: float
    factor: float
    severity: str = "page"
    scale: float = 60.0
    bad: str = "bad"
    total: str = "requests"
    hold: float = 0.0
    name: str = ""

    def __post_init__(self):
        number("slo", self.slo, low=0.0, low_open=True)
        if self.slo >= 1:
            raise ValueError(f"slo must be below 1 (an SLO of 100 % has no error budget to burn), got {self.slo!r}")
        number("long", self.long, low=0.0, low_open=True)
        number("short", self.short, low=0.0, low_open=True)
        if self.short > self.long:
            raise ValueError(f"the short window must not be longer than the long one, got {self.short} > {self.long}")
        number("factor", self.factor, low=0.0, low_open=True)
        number("scale", self.scale, low=0.0, low_open=True)
        _check_common(self)
        if not self.name:
            object.__setattr__(self, "name", f"{self.factor:g}x over {_span(self.long)} and {_span(self.short)}")

    @property
    def threshold(self) -> float:
        """The bad share above which both windows must lie: ``factor * (1 - slo)``."""
        return self.factor * (1.0 - self.slo)

    def windows(self, frame: pd.DataFrame) -> tuple:
        """``(long, short)`` as a number of the frame's rows."""
        ends = _column(frame, "end")
        step = ends[1] - ends[0] if len(ends) > 1 else 1.0
        return (max(1, round(self.long / self.scale / step)), max(1, round(self.short / self.scale / step)))

    def burn(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The burn rate over the long and the short window at every row (bad share / budget)."""
        bad, total = np.nan_to_num(_column(frame, self.bad)), np.nan_to_num(_column(frame, self.total))
        out = {}
        for label, k in zip(("long", "short"), self.windows(frame)):
            b, t = _trailing(bad, k), _trailing(total, k)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[label] = np.where(t > 0, b / t, 0.0) / (1.0 - self.slo)
        return pd.DataFrame(out, index=frame.index)

    def firing(self, frame: pd.DataFrame) -> np.ndarray:
        b = self.burn(frame)
        return _hold((b["long"].to_numpy() > self.factor) & (b["short"].to_numpy() > self.factor),
                     _column(frame, "end"), self.hold)


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def sre_workbook(slo: float = 0.99, scale: float = 60.0, bad: str = "bad", total: str = "requests") -> tuple:
    """The SRE Workbook's three multi-window, multi-burn-rate rules (table 5-8) for ``slo``.

    Examples
    --------
    >>> [r.name for r in sre_workbook()]
    ['14.4x over 1 h and 5 min', '6x over 6 h and 30 min', '1x over 3 d and 6 h']
    >>> [r.severity for r in sre_workbook()]
    ['page', 'page', 'ticket']
    """
    return tuple(BurnRate(slo, long, short, factor, severity, scale=scale, bad=bad, total=total)
                 for long, short, factor, severity in SRE_WORKBOOK)


def burn_rate_table(rules=None, period: float = 30 * 86400.0) -> pd.DataFrame:
    """The burn-rate rules as a table: windows (real and simulated), factor, threshold, budget spent.

    ``budget spent`` is the share of the error budget of an SLO ``period`` (real seconds, default
    30 days) that burning at ``factor`` for the long window consumes: what the rule lets go before
    it fires (2 %, 5 % and 10 % for the SRE Workbook's table).

    Examples
    --------
    >>> burn_rate_table()["budget spent"].round(3).tolist()
    [0.02, 0.05, 0.1]
    """
    rules = sre_workbook() if rules is None else tuple(rules)
    period = number("period", period, low=0.0, low_open=True)
    rows = [{"rule": r.name, "severity": r.severity, "factor": r.factor, "bad share above": r.threshold,
             "long (simulated s)": r.long / r.scale, "short (simulated s)": r.short / r.scale,
             "budget spent": r.factor * r.long / period} for r in rules if isinstance(r, BurnRate)]
    return pd.DataFrame(rows).set_index("rule")




def _is_rule(r) -> bool:
    return all(hasattr(r, a) for a in ("firing", "name", "severity"))


def _rules(rules) -> list:
    if _is_rule(rules):
        rules = [rules]
    out = list(rules)
    for r in out:
        if not _is_rule(r):
            raise TypeError(f"a rule is a Threshold, BurnRate, EWMAZScore, IsolationForestRule (or has .name, "
                            f".severity and .firing(frame)); got {r!r}")
    return out


def alerts(frame: pd.DataFrame, rules) -> pd.DataFrame:
    """The alerts ``rules`` fire on ``frame``: one row per firing episode, in order of firing.

    Parameters
    ----------
    frame : DataFrame
        An SLI frame (:func:`sli_frame`) or any frame with ``end`` and the columns the rules read.
    rules : rule or sequence of rules

    Returns
    -------
    DataFrame with :data:`ALERT_COLUMNS`: ``fired`` is the end of the first firing window,
    ``resolved`` the end of the first window after it that does not fire (NaN if it still fires
    at the end of the frame).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"end": [1.0, 2.0, 3.0, 4.0, 5.0], "p99": [0.0, 0.5, 0.6, 0.0, 0.7]})
    >>> alerts(frame, Threshold("p99", above=0.25))[["fired", "resolved"]].values.tolist()
    [[2.0, 4.0], [5.0, nan]]
    """
    rows = []
    ends = _column(frame, "end") if len(frame) else np.array([])
    for rule in _rules(rules):
        firing = np.asarray(rule.firing(frame), dtype=bool) if len(frame) else np.array([], dtype=bool)
        i = 0
        while i < len(firing):
            if not firing[i]:
                i += 1
                continue
            j = i
            while j < len(firing) and firing[j]:
                j += 1
            rows.append((rule.name, rule.severity, float(ends[i]), float(ends[j]) if j < len(firing) else np.nan))
            i = j
    out = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    return out.sort_values(["fired", "rule"], kind="stable").reset_index(drop=True)


def _windows(incidents) -> list[tuple]:
    out = []
    for x in incidents:
        if hasattr(x, "start") and hasattr(x, "end"):
            out.append((getattr(x, "label", f"incident {len(out)}"), float(x.start), float(x.end)))
        else:
            try:
                start, end = x
            except (TypeError, ValueError):
                raise TypeError(f"an incident is an Incident or a (start, end) pair, got {x!r}") from None
            out.append((f"incident {len(out)}", float(start), float(end)))
    return out


@dataclass(frozen=True)
class Score:
    """The result of :func:`score`.

    Attributes
    ----------
    precision : float
        Alerts that fired inside an incident's window (plus grace) over all alerts; NaN without alerts.
    recall : float
        Incidents with at least one such alert over all incidents; NaN without incidents.
    incidents : DataFrame
        One row per incident: ``incident, start, end, detected, first_alert, time_to_detect``.
    alerts : DataFrame
        The alerts with the ``incident`` each counted for (None: a false alarm).
    """
    precision: float
    recall: float
    incidents: pd.DataFrame = field(repr=False)
    alerts: pd.DataFrame = field(repr=False)

    @property
    def mean_time_to_detect(self) -> float:
        """Mean time to detect over the detected incidents (NaN if none was)."""
        t = self.incidents["time_to_detect"].dropna()
        return float(t.mean()) if len(t) else float("nan")


def score(fired, incidents, grace: float = 30.0) -> Score:
    """Precision, recall and time to detect of alerts against known incidents, per incident.

    Parameters
    ----------
    fired : DataFrame from :func:`alerts`, or a sequence of firing times
    incidents : sequence of Incident or of (start, end)
    grace : float
        Seconds after an incident's end during which an alert still counts for it (>= 0).

    Examples
    --------
    >>> s = score([12.0, 50.0, 51.0, 90.0], [(10.0, 20.0), (48.0, 60.0), (70.0, 75.0)], grace=5.0)
    >>> s.precision, s.recall, s.incidents.time_to_detect.tolist()
    (0.75, 0.6666666666666666, [2.0, 2.0, nan])
    """
    grace = number("grace", grace, low=0.0)
    if isinstance(fired, pd.DataFrame):
        table = fired.reset_index(drop=True).copy()
    else:
        table = pd.DataFrame({"fired": [number("alert time", t) for t in fired]})
    if "fired" not in table.columns:
        raise ValueError(f"alerts need a 'fired' column; got columns {list(table.columns)}")
    windows = _windows(incidents)
    matched = []
    for t in table["fired"]:
        hits = [label for label, a, b in windows if a <= t <= b + grace]
        matched.append(hits[0] if hits else None)
    table["incident"] = matched
    rows = []
    for label, a, b in windows:
        times = [t for t in table["fired"] if a <= t <= b + grace]
        first = min(times) if times else np.nan
        rows.append((label, a, b, bool(times), first, first - a if times else np.nan))
    per = pd.DataFrame(rows, columns=["incident", "start", "end", "detected", "first_alert", "time_to_detect"])
    precision = float(np.mean([m is not None for m in matched])) if matched else float("nan")
    recall = float(per["detected"].mean()) if len(per) else float("nan")
    return Score(precision, recall, per, table)


def compare(frame: pd.DataFrame, detectors, incidents, grace: float = 30.0) -> pd.DataFrame:
    """Score several detectors on the same frame and incidents: one row per detector.

    Parameters
    ----------
    detectors : mapping name -> rule or sequence of rules
        A detector with several rules (the three burn-rate rules) is scored on all their alerts.

    Returns
    -------
    DataFrame indexed by detector: ``alerts, false_alerts, precision, recall, mean_ttd`` and one
    ``ttd <incident>`` column per incident (seconds; NaN when missed).
    """
    if not hasattr(detectors, "items"):
        raise TypeError(f"detectors must be a mapping name -> rule(s), got {type(detectors).__name__}")
    rows = {}
    for name, rules in detectors.items():
        s = score(alerts(frame, rules), incidents, grace)
        row = {"alerts": len(s.alerts), "false_alerts": int(s.alerts["incident"].isna().sum()),
               "precision": s.precision, "recall": s.recall, "mean_ttd": s.mean_time_to_detect}
        for r in s.incidents.itertuples():
            row[f"ttd {r.incident}"] = r.time_to_detect
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")

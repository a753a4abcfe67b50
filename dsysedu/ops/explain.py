"""Explainable AI (可解释AI): why the anomaly detector fired, per incident, and what that does to trust.

The detector is scikit-learn's ``IsolationForest`` (Liu, Ting and Zhou, "Isolation Forest",
ICDM 2008) over a small feature frame read from the telemetry of
:mod:`dsysedu.ops.services`: per window, the gateway's request rate and each service's error
ratio and p99 latency (:func:`feature_frame`). It is fitted on a clean run (the history) and
scores a run with injected incidents; a window scoring below the threshold is an alert.

Why did it fire? :func:`explain_windows` computes SHAP values with the ``shap`` package's
``TreeExplainer``, which handles ``IsolationForest`` exactly (Lundberg et al., "From local
explanations to global understanding with explainable AI for trees", Nature Machine
Intelligence 2020): for each window, how much each feature moved the model's output away
from its average; the values add up to the output (tested). :func:`incident_report` puts, per
incident, the feature that pushed hardest toward "anomalous" beside the metric that moved
most against its history (a z-score), so the two can be compared.

Trust: :func:`operator_trust` replays the alerts to a simulated operator. Without an
explanation they follow an alert with a probability equal to their trust (a Beta estimate of
the detector's precision, updated after each alert's truth comes out). With an explanation
they check the named metric against its normal range and follow the alert only if it really
moved (misreading with a small error rate). Counted: overrides of right alerts (incidents
missed) and follows of wrong alerts (work wasted).

Another module of the course scores detectors on incidents (alerting); the feature frame and
the forest fit here are small and local so that this lesson stands alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.streams import normalize_seed, numpy_stream
from dsysedu.sim.validate import number, probability

from .telemetry import red_metrics

__all__ = ["feature_frame", "Detector", "fit_detector", "explain_windows", "alerts", "incident_report",
           "operator_trust",
           "FEATURE_METRICS", "STD_FLOOR",
           "IncidentLab", "incident_lab", "LAB_INCIDENTS"]

#: the per-service metrics of the feature frame (with the gateway's rate)
FEATURE_METRICS = ("error_ratio", "p99")
#: the smallest spread a z-score divides by: 1 % of error ratio, 10 ms of latency, 0.01 request/s
STD_FLOOR = 0.01


def feature_frame(trace, window: float = 2.0) -> pd.DataFrame:
    """One row per window (index: its start, s): ``gateway rate`` and ``<service> error_ratio`` / ``p99``.

    A window in which a service answered nothing gets error ratio 0 and the p99 of the window
    before it (the metric holds its last value, as a dashboard would show it).
    """
    red = red_metrics(trace, window)
    if not len(red):
        raise ValueError("the run served no request: there are no metrics to build features from")
    wide = red.pivot(index="start", columns="service", values=["rate", *FEATURE_METRICS])
    out = pd.DataFrame(index=wide.index)
    out["gateway rate"] = wide[("rate", "gateway")]
    for service in sorted(s for s in red["service"].unique() if s != "client"):
        out[f"{service} error_ratio"] = wide[("error_ratio", service)].fillna(0.0)
        out[f"{service} p99"] = wide[("p99", service)].ffill().fillna(0.0)
    out.index.name = "start"
    return out


@dataclass
class Detector:
    """A fitted forest, the features it reads, the threshold on its score, the history's mean and spread."""
    forest: object
    columns: tuple
    threshold: float
    mean: pd.Series
    std: pd.Series

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """``decision_function``: below 0 is more anomalous than the forest's offset."""
        return self.forest.decision_function(X[list(self.columns)].to_numpy())

    def fired(self, X: pd.DataFrame) -> np.ndarray:
        return self.score(X) < self.threshold


def fit_detector(history: pd.DataFrame, threshold: float = -0.05, trees: int = 100, seed=None) -> Detector:
    """Fit an ``IsolationForest`` on a clean run's feature frame (``contamination="auto"``)."""
    from sklearn.ensemble import IsolationForest      # heavy: imported when used

    number("threshold", threshold, low=-1.0, high=1.0)
    rs = int(numpy_stream(normalize_seed(seed), "isolation forest").integers(2**31 - 1))
    forest = IsolationForest(n_estimators=trees, random_state=rs).fit(history.to_numpy())
    std = history.std().fillna(0.0).clip(lower=STD_FLOOR)
    return Detector(forest, tuple(history.columns), threshold, history.mean(), std)


def explain_windows(detector: Detector, X: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """SHAP values per window and feature (same shape as ``X``), and the explainer's expected value.

    Negative values push a window toward "anomalous" (a shorter isolation path).
    """
    import shap                                           # heavy: imported when used

    explainer = shap.TreeExplainer(detector.forest)
    values = explainer.shap_values(X[list(detector.columns)].to_numpy())
    return pd.DataFrame(values, index=X.index, columns=list(detector.columns)), float(
        np.ravel(explainer.expected_value)[0])


def alerts(fired, index) -> list[tuple[float, float]]:
    """Consecutive firing windows merged into alerts ``(first window start, last window start)``."""
    fired = np.asarray(fired, bool)
    idx = list(index)
    out, start = [], None
    for i, f in enumerate(fired):
        if f and start is None:
            start = i
        if start is not None and (not f or i == len(fired) - 1):
            end = i if f else i - 1
            out.append((float(idx[start]), float(idx[end])))
            start = None
    return out


def incident_report(detector: Detector, X: pd.DataFrame, incidents, shap_values=None) -> pd.DataFrame:
    """Per incident ``(name, start, end)``: did the detector fire, the feature SHAP blames most, the metric
    that moved most (largest z-score against the history), and whether the two agree.

    A window belongs to an incident when it starts in ``[start, end)``. ``shap_values`` (from
    :func:`explain_windows`) saves computing them again.
    """
    if shap_values is None:
        shap_values, _ = explain_windows(detector, X)
    fired = pd.Series(detector.fired(X), index=X.index)
    z = (X[list(detector.columns)] - detector.mean) / detector.std
    rows = []
    for name, start, end in incidents:
        sel = (X.index >= start) & (X.index < end)
        if not sel.any():
            raise ValueError(f"incident {name!r} ({start}, {end}) covers no window of the frame")
        hit = fired[sel].to_numpy()
        windows = sel & fired.to_numpy() if hit.any() else sel
        blame = shap_values[windows].sum()
        moved = z[sel].abs().max()
        top, metric = str(blame.idxmin()), str(moved.idxmax())
        rows.append({"incident": name, "fired": bool(hit.any()),
                     "first_alert": float(X.index[sel][hit.argmax()]) if hit.any() else float("nan"),
                     "shap_top": top, "shap_value": float(blame[top]), "moved_most": metric,
                     "z": float(moved[metric]), "agree": top == metric})
    return pd.DataFrame(rows)


def operator_trust(detector: Detector, X: pd.DataFrame, incidents, explained: bool, error_rate: float = 0.05,
                   z_check: float = 3.0, grace: float = 6.0, shap_values=None, seed=None) -> dict:
    """A simulated operator's answers to every alert, with or without explanations.

    Returns counts: ``alerts``, ``right`` (overlapping an incident), ``wrong``,
    ``overrode_right`` (an incident ignored), ``followed_wrong`` (a false alarm acted on),
    ``overrode_wrong`` and ``followed_right``. An alert is right when it overlaps an incident or
    the ``grace`` seconds after it (retries and queues drain after the fault is gone).
    """
    probability("error_rate", error_rate)
    number("grace", grace, low=0.0)
    rng = numpy_stream(normalize_seed(seed), "operator")
    if shap_values is None:
        shap_values, _ = explain_windows(detector, X)
    z = (X[list(detector.columns)] - detector.mean) / detector.std
    found = {"right": 0, "wrong": 0}
    counts = {"followed_right": 0, "overrode_right": 0, "followed_wrong": 0, "overrode_wrong": 0}
    good, bad = 1.0, 1.0              # Beta(1, 1): no opinion yet about the detector's precision
    for a, b in alerts(detector.fired(X), X.index):
        right = any(a < end + grace and b >= start for _n, start, end in incidents)
        window = (X.index >= a) & (X.index <= b)
        if explained:
            top = str(shap_values[window].sum().idxmin())
            follow = bool(z.loc[window, top].abs().max() > z_check)
            if rng.random() < error_rate:
                follow = not follow
        else:
            follow = bool(rng.random() < good / (good + bad))
        counts[("followed_" if follow else "overrode_") + ("right" if right else "wrong")] += 1
        found["right" if right else "wrong"] += 1
        good, bad = good + right, bad + (not right)
    return {"explained": explained, "alerts": found["right"] + found["wrong"], "right": found["right"],
            "wrong": found["wrong"], **counts}


@dataclass(frozen=True)
class IncidentLab:
    """A clean history and a run with three injected incidents, as feature frames."""
    history: pd.DataFrame
    frame: pd.DataFrame
    incidents: tuple


#: (name, fault, start, end) of the lab's incidents
LAB_INCIDENTS = (("slow inventory", "slow", "inventory", 30.0, 40.0), ("store crash", "crash", "store", 70.0, 74.0),
                 ("slow orders", "slow", "orders", 110.0, 120.0))


def incident_lab(seed=None, rate: float = 10.0, history: float = 200.0, duration: float = 150.0,
                 window: float = 2.0) -> IncidentLab:
    """Run the service system twice: ``history`` seconds with no fault (its own seed, drawn from ``seed``),
    and ``duration`` seconds with :data:`LAB_INCIDENTS` (inventory slowed by 40 ms per handler, the store
    crashed for 4 s, orders slowed by 30 ms). Returns both feature frames and the incidents."""
    from dsysedu.sim.faults import Crash, Slow
    from dsysedu.sim.kernel import run

    from .services import service_scenario

    seed = normalize_seed(seed)
    faults = [Slow(node, at=a, delay=0.04 if node == "inventory" else 0.03, until=b) if kind == "slow"
              else Crash(node, at=a, until=b) for _n, kind, node, a, b in LAB_INCIDENTS]
    past = int(numpy_stream(seed, "history").integers(2**31 - 1))
    clean = run(service_scenario(rate=rate, duration=history), seed=past)
    hurt = run(service_scenario(rate=rate, duration=duration, faults=faults), seed=seed)
    return IncidentLab(feature_frame(clean, window), feature_frame(hurt, window),
                       tuple((n, a, b) for n, _k, _node, a, b in LAB_INCIDENTS))

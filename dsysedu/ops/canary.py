"""A statistical canary judge (金丝雀分析): is the new version worse than the old one?

A canary release sends a small share of the traffic to one instance of the new version. Netflix
and Google's Kayenta [1]_ judge it against a *fresh baseline*: an instance of the old version
started at the same moment and given the same share, so that the two differ only by the
version (not by uptime, warm caches or the hour of the day). For each metric Kayenta's classifier
runs a Mann-Whitney U test (a rank test: no assumption that latencies are normal, and they are
not) and calls the metric High when the test's confidence interval for the shift lies above zero
by more than a fraction of the estimated shift, looking only in the direction that is bad for that
metric; the metrics' verdicts make a score, and a score below the threshold fails the canary.

:func:`judge` keeps that shape in its textbook form, for two metrics, latency and errors (an error
is a 1, a success a 0: the rank test on them compares error rates): ``scipy.stats.mannwhitneyu``,
one-sided (only *worse* fails), p below ``alpha``, and a minimum effect on the median or the error
rate, so that a huge sample does not fail a canary for a trivial difference.

References
----------
.. [1] Netflix and Google, Kayenta, Spinnaker's automated canary analysis (2018): ``kayenta-judge``,
   ``MannWhitneyClassifier`` (github.com/spinnaker/kayenta).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu

from dsysedu.sim.validate import number

from .telemetry import spans

__all__ = ["MetricVerdict", "Judgement", "judge", "instance_samples"]


@dataclass(frozen=True)
class MetricVerdict:
    """One metric's comparison: ``p_value`` of "the canary is worse", the ``effect`` and ``passed``."""
    metric: str
    baseline: float
    canary: float
    effect: float
    p_value: float
    passed: bool

    def __str__(self) -> str:
        mark = "pass" if self.passed else "FAIL"
        return (f"{self.metric}: baseline {self.baseline:.4g}, canary {self.canary:.4g}, effect {self.effect:+.3g}, "
                f"p = {self.p_value:.2g}: {mark}")


@dataclass(frozen=True)
class Judgement:
    """The judge's answer: each metric's verdict, the score (percent of metrics that pass) and ``promote``."""
    metrics: tuple
    score: float
    promote: bool

    def __str__(self) -> str:
        head = f"score {self.score:.0f}: {'promote' if self.promote else 'roll back'}"
        return "\n".join([head, *("  " + str(m) for m in self.metrics)])

    def __repr__(self) -> str:
        return str(self)


def _worse(metric, base, can, effect, min_effect, alpha) -> MetricVerdict:
    base, can = np.asarray(base, dtype=float), np.asarray(can, dtype=float)
    if len(base) == 0 or len(can) == 0:
        raise ValueError(f"{metric}: the baseline and the canary each need at least one sample, "
                         f"got {len(base)} and {len(can)}")
    if np.ptp(np.concatenate([base, can])) == 0:
        p = 1.0                                     # every value equal: no evidence either way
    else:
        p = float(mannwhitneyu(can, base, alternative="greater").pvalue)
    return MetricVerdict(metric, float(np.median(base)) if metric == "latency" else float(base.mean()),
                         float(np.median(can)) if metric == "latency" else float(can.mean()), effect, p,
                         not (p < alpha and effect > min_effect))


def judge(baseline_latency, canary_latency, baseline_errors, canary_errors, *, alpha: float = 0.05,
          latency_effect: float = 0.2, error_effect: float = 0.02, pass_score: float = 100.0) -> Judgement:
    """Compare a canary with its baseline on latency and errors; promote or roll back.

    Parameters
    ----------
    baseline_latency, canary_latency : sequence of float
        Request durations (seconds) served by each.
    baseline_errors, canary_errors : sequence of bool or 0/1
        One value per request: 1 if it failed.
    alpha : float
        Significance level of each one-sided Mann-Whitney U test, in (0, 1).
    latency_effect : float
        The canary's median latency must exceed the baseline's by more than this fraction
        (0.2: 20 %) to fail.
    error_effect : float
        The canary's error rate must exceed the baseline's by more than this (absolute) to fail.
    pass_score : float
        Percent of metrics that must pass to promote (Kayenta's ``pass`` threshold).

    Returns
    -------
    Judgement

    Examples
    --------
    >>> j = judge([0.010] * 50 + [0.012] * 50, [0.030] * 100, [0] * 100, [0] * 100)
    >>> j.promote, [m.passed for m in j.metrics]
    (False, [False, True])
    """
    alpha = number("alpha", alpha, low=0.0, low_open=True, high=1.0)
    if alpha >= 1.0:
        raise ValueError("alpha must be < 1")
    number("latency_effect", latency_effect, low=0.0)
    number("error_effect", error_effect, low=0.0)
    number("pass_score", pass_score, low=0.0, high=100.0)
    bl, cl = np.asarray(baseline_latency, dtype=float), np.asarray(canary_latency, dtype=float)
    be, ce = np.asarray(baseline_errors, dtype=float), np.asarray(canary_errors, dtype=float)
    for name, arr in (("baseline_errors", be), ("canary_errors", ce)):
        if arr.size and not np.isin(arr, (0.0, 1.0)).all():
            raise ValueError(f"{name} must hold 0/1 (or bool) values, one per request")
    lat_effect = (np.median(cl) / np.median(bl) - 1.0) if bl.size and cl.size and np.median(bl) > 0 else 0.0
    err_effect = (ce.mean() - be.mean()) if be.size and ce.size else 0.0
    metrics = (_worse("latency", bl, cl, float(lat_effect), latency_effect, alpha),
               _worse("errors", be, ce, float(err_effect), error_effect, alpha))
    score = 100.0 * sum(m.passed for m in metrics) / len(metrics)
    return Judgement(metrics, score, score >= pass_score)


def instance_samples(trace, instance: str) -> tuple:
    """The durations and 0/1 errors of the requests ``instance`` served in a run (its server spans)."""
    lat, err = [], []
    for s in spans(trace):
        if s.kind == "server" and s.service == instance and s.finished:
            lat.append(s.duration)
            err.append(1 if s.status == "ERROR" else 0)
    return lat, err

"""Anomaly detection (AI异常检测) as alert rules: a statistical baseline and a learned one.

The source asks for anomaly detection that *supplements* threshold alerts. Both detectors here
are rules in the sense of :mod:`dsysedu.ops.alerting`: they read an SLI frame and say, per
window, whether they fire, so :func:`~dsysedu.ops.alerting.alerts` and
:func:`~dsysedu.ops.alerting.score` treat them like a threshold or a burn-rate rule.

:class:`EWMAZScore`
    an exponentially weighted baseline (mean and variance) of one column; fires when a window
    lies more than ``z`` deviations above it. The baseline stops learning while the rule fires,
    so an incident is not absorbed into "normal".
:class:`IsolationForestRule`
    scikit-learn's ``IsolationForest`` (Liu, Ting and Zhou, ICDM 2008) fitted on the windows of
    a training span, assumed normal, and asked about every window; fires on the windows it calls
    outliers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dsysedu.sim.validate import number

from .alerting import _check_common, _column, _hold

__all__ = ["EWMAZScore", "IsolationForestRule"]


@dataclass(frozen=True)
class EWMAZScore:
    """Fire when ``column`` lies more than ``z`` deviations above its exponentially weighted baseline.

    Parameters
    ----------
    column : str
    alpha : float
        Weight of the newest window in (0, 1]: the baseline remembers about ``1 / alpha`` windows.
    z : float
        Deviations above the baseline that fire (> 0).
    warmup : float
        Seconds (of frame time) that only train the baseline.
    floor : float
        The smallest deviation used (>= 0), so a column that was flat (a bad share of exactly 0)
        does not fire on the first single bad request.
    """
    column: str = "bad_ratio"
    alpha: float = 0.05
    z: float = 4.0
    warmup: float = 60.0
    floor: float = 0.01
    hold: float = 0.0
    severity: str = "page"
    name: str = ""

    def __post_init__(self):
        number("alpha", self.alpha, low=0.0, low_open=True, high=1.0)
        number("z", self.z, low=0.0, low_open=True)
        number("warmup", self.warmup, low=0.0)
        number("floor", self.floor, low=0.0)
        _check_common(self)
        if not self.name:
            object.__setattr__(self, "name", f"EWMA z > {self.z:g} on {self.column}")

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        """The z-score of each window against the baseline before it (0 in the warm-up, NaN if no value)."""
        values, ends = _column(frame, self.column), _column(frame, "end")
        start = ends[0] - (ends[1] - ends[0] if len(ends) > 1 else 0.0) if len(ends) else 0.0
        z = np.full(len(values), np.nan)
        mean = var = None
        for i, x in enumerate(values):
            if np.isnan(x):
                continue
            if mean is None:
                mean, var, z[i] = x, 0.0, 0.0
                continue
            z[i] = 0.0 if ends[i] - start <= self.warmup else (x - mean) / max(np.sqrt(var), self.floor)
            if z[i] <= self.z:         # learn only from windows that do not fire
                d = x - mean
                mean += self.alpha * d
                var = (1 - self.alpha) * (var + self.alpha * d * d)
        return z

    def firing(self, frame: pd.DataFrame) -> np.ndarray:
        return _hold(np.nan_to_num(self.scores(frame), nan=0.0) > self.z, _column(frame, "end"), self.hold)


@dataclass(frozen=True)
class IsolationForestRule:
    """Fire on the windows scikit-learn's ``IsolationForest`` calls outliers.

    The forest is fitted on the windows that end by ``train_until`` (assumed free of incidents)
    with ``contamination`` as the share it may call outliers there, then asked about every window.
    Missing values (a window without requests) take the training median.

    Parameters
    ----------
    columns : tuple of str
    train_until : float
        Frame time (seconds) of the last training window (at least 10 windows must lie before it).
    contamination : float
        In (0, 0.5].
    seed : int
        The forest's ``random_state``.
    """
    columns: tuple = ("rate", "bad_ratio", "p99")
    train_until: float = 120.0
    contamination: float = 0.01
    seed: int = 0
    trees: int = 100
    hold: float = 0.0
    severity: str = "page"
    name: str = ""

    def __post_init__(self):
        if isinstance(self.columns, str) or not self.columns:
            raise TypeError(f"columns must be a non-empty tuple of column names, got {self.columns!r}")
        object.__setattr__(self, "columns", tuple(self.columns))
        number("train_until", self.train_until, low=0.0, low_open=True)
        number("contamination", self.contamination, low=0.0, low_open=True, high=0.5)
        for label, v in (("seed", self.seed), ("trees", self.trees)):
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if label == "seed" else 1):
                raise ValueError(f"{label} must be an int >= {0 if label == 'seed' else 1}, got {v!r}")
        _check_common(self)
        if not self.name:
            object.__setattr__(self, "name", f"IsolationForest on {', '.join(self.columns)}")

    def _matrix(self, frame):
        x = np.column_stack([_column(frame, c) for c in self.columns])
        train = _column(frame, "end") <= self.train_until
        if train.sum() < 10:
            raise ValueError(f"IsolationForestRule needs at least 10 windows ending by train_until="
                             f"{self.train_until:g}; the frame has {int(train.sum())}")
        med = np.nanmedian(x[train], axis=0)
        med = np.where(np.isnan(med), 0.0, med)
        return np.where(np.isnan(x), med, x), train

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        """The forest's anomaly score of each window (higher = more anomalous; > 0 = outlier)."""
        from sklearn.ensemble import IsolationForest    # here: importing the module does not load scikit-learn
        x, train = self._matrix(frame)
        forest = IsolationForest(n_estimators=self.trees, contamination=self.contamination,
                                 random_state=self.seed).fit(x[train])
        return -forest.decision_function(x)

    def firing(self, frame: pd.DataFrame) -> np.ndarray:
        return _hold(self.scores(frame) > 0, _column(frame, "end"), self.hold)
